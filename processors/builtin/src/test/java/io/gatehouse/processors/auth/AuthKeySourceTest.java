package io.gatehouse.processors.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.Outcome;
import io.gatehouse.testkit.ProcessorHarness;
import java.net.URI;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Where keys come from and how long they last: the configured provider only, found by discovery,
 * cached, refreshed in the background, refetched at a bounded rate for unknown key ids, kept while
 * the provider is down up to the staleness limit, then failing closed with 503. Time is the harness
 * clock, so every limit is tested at its edge without waiting.
 */
class AuthKeySourceTest extends AuthTestSupport {

    private static int serial;

    /** A token of {@code key}, unique (so the verified-token cache never answers for it). */
    private static String token(RSAKey key) {
        return Keys.sign(key, JWSAlgorithm.RS256, claims(NOW).jwtID("t-" + (++serial))
                .expirationTime(Date.from(NOW.plusSeconds(7200))).build());
    }

    private static ProcessorHarness<AuthConfig> harness(URI jwks, JwksConfig settings) {
        return harness(identity(new ProviderConfig(ISSUER, List.of("chat"), jwks, null, null, null, null, null, null,
                settings, null)), AuthConfig.defaults());
    }

    private static Outcome.Deny unavailable(String detail, String retryAfter) {
        return new Outcome.Deny(503, "Identity provider unavailable", detail,
                new DecidingRule("auth", "idp-unavailable", detail), Map.of("Retry-After", retryAfter));
    }

    private static String coldDetail(String problem) {
        return "the signing keys of identity provider 'idp' could not be fetched (" + problem + ") and none are"
                + " cached, so no token can be verified; try again shortly";
    }

    @Test
    void keysAreFetchedOnceAndThenServedFromTheCache() {
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp.url())) {
            for (int i = 0; i < 5; i++) {
                assertThat(harness.request(bearer(token(Keys.RSA)))).isSameAs(Outcome.proceed());
            }

            assertThat(idp.hits()).isEqualTo(1);
        }
    }

    @Test
    void keysAreFoundByOidcDiscoveryOfTheIssuer() {
        try (var idp = new JwksServer(Keys.RSA);
             var harness = harness(identity(ProviderConfig.of(idp.issuer(), "chat")), AuthConfig.defaults())) {
            String token = Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims(NOW).issuer(idp.issuer()).build());

            assertThat(harness.request(bearer(token))).isSameAs(Outcome.proceed());
            assertThat(idp.discoveryHits()).isEqualTo(1);
            assertThat(idp.hits()).isEqualTo(1);
        }
    }

    @Test
    void aDiscoveryDocumentNamingAnotherIssuerIsNotTrusted() {
        try (var idp = new JwksServer(Keys.RSA);
             var harness = harness(identity(ProviderConfig.of(idp.issuer(), "chat")), AuthConfig.defaults())) {
            idp.discoveryIssuer("https://evil.test/realms/test");
            String token = Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims(NOW).issuer(idp.issuer()).build());

            assertDenied(harness.request(bearer(token)), unavailable(coldDetail("the discovery document names issuer"
                    + " https://evil.test/realms/test, not " + idp.issuer()), "30"));
            assertThat(idp.hits()).isZero();
        }
    }

    @Test
    void anUnknownKidTriggersARefetchAndTheRotatedKeyIsThenAcceptedWithoutRestart() {
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp.url())) {
            assertThat(harness.request(bearer(token(Keys.RSA)))).isSameAs(Outcome.proceed());
            idp.serve(Keys.RSA_ROTATED);
            harness.clock().advance(Duration.ofSeconds(30));

            assertThat(harness.request(bearer(token(Keys.RSA_ROTATED)))).isSameAs(Outcome.proceed());
            assertThat(idp.hits()).isEqualTo(2);
        }
    }

    @Test
    void manyRandomUnknownKidsCauseAtMostOneRefetchPerInterval() {
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp.url())) {
            harness.clock().advance(Duration.ofSeconds(-60));
            harness.request(bearer(token(Keys.RSA)));
            harness.clock().advance(Duration.ofSeconds(60));

            for (int i = 0; i < 50; i++) {
                String kid = UUID.randomUUID().toString();
                Outcome outcome = harness.request(bearer(token(Keys.rsaWithKid(Keys.ATTACKER, kid))));
                assertDenied(outcome, invalidToken("unknown-key", "the signing key of the token (kid " + kid
                        + ") is not one of the keys of its identity provider; get a new token"));
            }

            assertThat(idp.hits()).isEqualTo(2);
            assertThat(harness.request(bearer(token(Keys.RSA)))).isSameAs(Outcome.proceed());
        }
    }

    @Test
    void theRefetchIntervalIsConfigurableAndCountedOnTheGatewayClock() {
        JwksConfig settings = new JwksConfig(null, Duration.ofSeconds(10), null, null, null);
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp.url(), settings)) {
            harness.request(bearer(token(Keys.RSA)));
            harness.request(bearer(token(Keys.rsaWithKid(Keys.ATTACKER, "k1"))));
            assertThat(idp.hits()).isEqualTo(1);

            idp.serve(Keys.RSA, Keys.RSA_ROTATED);
            harness.clock().advance(Duration.ofSeconds(9));
            assertThat(reason(harness.request(bearer(token(Keys.RSA_ROTATED))))).isEqualTo("unknown-key");
            assertThat(idp.hits()).isEqualTo(1);

            harness.clock().advance(Duration.ofSeconds(1));
            assertThat(harness.request(bearer(token(Keys.RSA_ROTATED)))).isSameAs(Outcome.proceed());
            assertThat(idp.hits()).isEqualTo(2);
        }
    }

    @Test
    void afterTheCacheTtlKeysAreRefreshedInTheBackgroundWhileTheCachedOnesServe() {
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp.url())) {
            harness.request(bearer(token(Keys.RSA)));
            idp.serve(Keys.RSA, Keys.RSA_ROTATED);
            harness.clock().advance(Duration.ofMinutes(5));

            assertThat(harness.request(bearer(token(Keys.RSA)))).isSameAs(Outcome.proceed());
            idp.awaitHits(2);
            assertThat(harness.request(bearer(token(Keys.RSA_ROTATED)))).isSameAs(Outcome.proceed());
            assertThat(idp.hits()).isEqualTo(2);
        }
    }

    @Test
    void whileTheProviderIsDownCachedKeysServeUntilTheStalenessLimitThenItFailsClosedAndRecovers() {
        JwksConfig settings = new JwksConfig(Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofMinutes(20),
                null, null);
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp.url(), settings)) {
            assertThat(harness.request(bearer(token(Keys.RSA)))).isSameAs(Outcome.proceed());
            idp.mode(JwksServer.Mode.ERROR);

            harness.clock().advance(Duration.ofMinutes(6));
            assertThat(harness.request(bearer(token(Keys.RSA)))).isSameAs(Outcome.proceed());
            idp.awaitHits(2);
            harness.clock().advance(Duration.ofMinutes(13));
            assertThat(harness.request(bearer(token(Keys.RSA)))).as("19m: still within 20m").isSameAs(Outcome.proceed());
            idp.awaitHits(3);

            harness.clock().advance(Duration.ofMinutes(1));
            assertDenied(harness.request(bearer(token(Keys.RSA))), unavailable("the signing keys of identity provider"
                    + " 'idp' were fetched at 2026-01-01T00:00:00Z, longer ago than its jwks.maxStaleness of 20m, and"
                    + " fetching them again failed (HTTP status 500); no token is accepted until they can be fetched",
                    "30"));
            assertThat(reason(harness.request(bearer(token(Keys.RSA))))).isEqualTo("idp-unavailable");

            idp.mode(JwksServer.Mode.KEYS);
            harness.clock().advance(Duration.ofSeconds(30));
            assertThat(harness.request(bearer(token(Keys.RSA)))).isSameAs(Outcome.proceed());
        }
    }

    @Test
    void aProviderThatIsDownWithNothingCachedFailsClosedWith503AndRetriesAtTheRefreshInterval() {
        try (var harness = harness(JwksServer.nothingListening())) {
            Outcome.Deny expected = unavailable(coldDetail("connection refused"), "30");

            for (int i = 0; i < 3; i++) {
                assertDenied(harness.request(bearer(token(Keys.RSA))), expected);
            }
        }
    }

    @Test
    void aJwksThatIsNotAKeySetFailsClosed() {
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp.url())) {
            idp.mode(JwksServer.Mode.GARBAGE);

            assertDenied(harness.request(bearer(token(Keys.RSA))),
                    unavailable(coldDetail("the JWKS document is not a JWK set"), "30"));
        }
    }

    @Test
    void aTenMegabyteJwksIsRefusedWhetherItsSizeIsDeclaredOrNot() {
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp.url())) {
            idp.mode(JwksServer.Mode.HUGE);
            assertDenied(harness.request(bearer(token(Keys.RSA))), unavailable(coldDetail("the document is 10485780"
                    + " bytes, more than the limit of 262144"), "30"));

            idp.mode(JwksServer.Mode.HUGE_UNDECLARED);
            harness.clock().advance(Duration.ofSeconds(30));
            assertDenied(harness.request(bearer(token(Keys.RSA))),
                    unavailable(coldDetail("the document is larger than the limit of 262144 bytes"), "30"));
        }
    }

    @Test
    void aTokenWhoseKeysAreNotCachedWaitsForTheFetchAsAStageWithoutBlockingTheCaller() throws Exception {
        JwksConfig settings = new JwksConfig(null, null, null, Duration.ofSeconds(20), ByteSize.parse("64KiB"));
        var idp = new JwksServer(Keys.RSA);
        try (var harness = harness(idp.url(), settings)) {
            idp.mode(JwksServer.Mode.HANG);

            java.util.concurrent.CompletableFuture<Outcome> stage = harness.processor()
                    .onRequestAsync(bearer(token(Keys.RSA))).toCompletableFuture();

            assertThat(stage).as("returned while the key fetch hangs: the event loop is free").isNotDone();
            idp.close(); // the identity provider goes away: the fetch fails, the stage answers
            // Mostly within milliseconds; but the HTTP client may retry the GET while the server is still stopping
            // and be held until the 20 s fetch timeout, which fails it the same way. So wait past that timeout.
            Outcome outcome = stage.get(40, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(reason(outcome)).isEqualTo("idp-unavailable");
        } finally {
            idp.close();
        }
    }

    @Test
    void aJwksThatNeverAnswersFailsClosedWithinTheFetchTimeout() {
        JwksConfig settings = new JwksConfig(null, null, null, Duration.ofMillis(300), ByteSize.parse("64KiB"));
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp.url(), settings)) {
            idp.mode(JwksServer.Mode.HANG);

            Outcome outcome = assertTimeoutPreemptively(Duration.ofSeconds(5),
                    () -> harness.request(bearer(token(Keys.RSA))));

            assertThat(reason(outcome)).isEqualTo("idp-unavailable");
            assertThat(((Outcome.Deny) outcome).status()).isEqualTo(503);
        }
    }

    @Test
    void aJwksAnsweringAnErrorStatusFailsClosed() {
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp.url())) {
            idp.mode(JwksServer.Mode.ERROR);

            assertDenied(harness.request(bearer(token(Keys.RSA))), unavailable(coldDetail("HTTP status 500"), "30"));
        }
    }

    @Test
    void aJkuHeaderPointingElsewhereIsNeverFetched() {
        try (var idp = new JwksServer(Keys.RSA); var attacker = new JwksServer(Keys.ATTACKER);
             var harness = harness(idp.url())) {
            URI elsewhere = attacker.url();
            String forged = Keys.sign(Keys.ATTACKER, JWSAlgorithm.RS256, claims(NOW).build(), h -> h.jwkURL(elsewhere));
            String genuine = Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims(NOW).build(), h -> h.jwkURL(elsewhere));

            assertThat(reason(harness.request(bearer(forged)))).isEqualTo("unknown-key");
            assertThat(harness.request(bearer(genuine))).isSameAs(Outcome.proceed());
            assertThat(attacker.hits()).isZero();
        }
    }

    @Test
    void aKeyEmbeddedInTheHeaderIsIgnored() {
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp.url())) {
            String forged = Keys.sign(Keys.ATTACKER, JWSAlgorithm.RS256, claims(NOW).build(),
                    h -> h.jwk(Keys.ATTACKER.toPublicJWK()));

            assertDenied(harness.request(bearer(forged)), invalidToken("unknown-key", "the signing key of the token"
                    + " (kid attacker) is not one of the keys of its identity provider; get a new token"));
        }
    }

    @Test
    void anRsaKeyShorterThan2048BitsIsNeverUsed() {
        RSAKey weak = Keys.rsa("weak", 1024);
        try (var idp = new JwksServer(Keys.RSA, weak); var harness = harness(idp.url())) {
            assertThat(reason(harness.request(bearer(token(weak))))).isEqualTo("unknown-key");
        }
    }

    @Test
    void aTokenStaysValidAcrossARefreshOnlyUntilItsExpiry() {
        try (var idp = new JwksServer(Keys.RSA); var harness = harness(idp.url())) {
            String token = Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims(NOW)
                    .expirationTime(Date.from(NOW.plusSeconds(60))).build());
            assertThat(harness.request(bearer(token))).isSameAs(Outcome.proceed());

            harness.clock().advance(Duration.ofSeconds(91));

            assertDenied(harness.request(bearer(token)), invalidToken("expired",
                    "the token expired at 2026-01-01T00:01:00Z; get a new token"));
        }
    }
}
