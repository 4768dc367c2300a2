package io.gatehouse.processors.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.Secret;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.TestExchange;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Opaque tokens through RFC 7662 introspection, with a short cache. */
class AuthIntrospectionTest extends AuthTestSupport {

    private static final String OPAQUE = "opaque-7Gd93kQ";

    private final JwksServer idp = new JwksServer(Keys.RSA);

    @AfterEach
    void close() {
        idp.close();
    }

    private ProcessorHarness<AuthConfig> introspecting(URI endpoint) {
        IntrospectionConfig introspection = new IntrospectionConfig(endpoint, "gate house", Secret.of("env:S", "s3:cret"),
                null);
        ProviderConfig provider = new ProviderConfig(idp.issuer(), List.of("chat"), null, null, null, null, null, null,
                null, null, introspection);
        return harness(identity(provider), AuthConfig.defaults());
    }

    private String active(String extra) {
        long exp = NOW.plusSeconds(300).getEpochSecond();
        return "{\"active\":true,\"sub\":\"u-9\",\"username\":\"ci\",\"client_id\":\"ci-pipeline\",\"aud\":[\"chat\"],"
                + "\"exp\":" + exp + ",\"iat\":" + NOW.getEpochSecond() + ",\"groups\":[\"ml-engineers\"]" + extra + "}";
    }

    @Test
    void anActiveOpaqueTokenProceedsWithTheIdentityTheProviderAnswered() {
        idp.introspection(form -> form.equals("token=" + OPAQUE + "&token_type_hint=access_token") ? active("")
                : "{\"active\":false}");
        try (var harness = introspecting(null)) {
            TestExchange exchange = bearer(OPAQUE);

            assertThat(harness.request(exchange)).isSameAs(Outcome.proceed());

            Identity identity = exchange.identity().orElseThrow();
            assertThat(identity.subject()).isEqualTo("u-9");
            assertThat(identity.username()).isEqualTo("ci");
            assertThat(identity.clientId()).isEqualTo("ci-pipeline");
            assertThat(identity.groups()).containsExactly("ml-engineers");
            assertThat(identity.issuer()).isEqualTo(idp.issuer());
            assertThat(idp.lastIntrospectionAuthorization()).isEqualTo("Basic " + Base64.getEncoder()
                    .encodeToString("gate+house:s3%3Acret".getBytes(StandardCharsets.UTF_8)));
            assertThat(idp.discoveryHits()).as("endpoint found by discovery").isEqualTo(1);
            assertThat(idp.hits()).as("no keys needed").isZero();
        }
    }

    @Test
    void anActiveAnswerIsReusedForItsCacheTimeThenAskedAgain() {
        idp.introspection(form -> active(""));
        try (var harness = introspecting(URI.create(idp.base() + "/introspect"))) {
            harness.request(bearer(OPAQUE));
            harness.clock().advance(Duration.ofSeconds(29));
            assertThat(harness.request(bearer(OPAQUE))).isSameAs(Outcome.proceed());
            assertThat(idp.introspections()).isEqualTo(1);

            harness.clock().advance(Duration.ofSeconds(1));
            assertThat(harness.request(bearer(OPAQUE))).isSameAs(Outcome.proceed());
            assertThat(idp.introspections()).isEqualTo(2);
            assertThat(idp.discoveryHits()).isZero();
        }
    }

    @Test
    void anOpaqueTokenIsIntrospectedAsAStageWithoutBlockingTheCaller() throws Exception {
        java.util.concurrent.CountDownLatch answer = new java.util.concurrent.CountDownLatch(1);
        idp.introspection(form -> {
            try {
                answer.await(20, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return active("");
        });
        try (var harness = introspecting(URI.create(idp.base() + "/introspect"))) {
            TestExchange exchange = bearer(OPAQUE);

            // Through the pipeline engine, as the gateway calls it from the connection's event loop.
            io.gatehouse.engine.Step step = new io.gatehouse.engine.Step("auth", "test.auth", "test",
                    io.gatehouse.spi.Phase.AUTHENTICATE, harness.processor());
            java.util.concurrent.CompletableFuture<io.gatehouse.engine.StepResult> stage =
                    io.gatehouse.engine.StepCalls.request(exchange.engine(), step).toCompletableFuture();

            assertThat(stage).as("returned while the provider has not answered: the event loop is free").isNotDone();
            answer.countDown();
            assertThat(stage.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(io.gatehouse.engine.StepResult.PROCEED);
            assertThat(exchange.identity().orElseThrow().subject()).isEqualTo("u-9");
            assertThat(idp.introspections()).as("asked once, not again when verifying").isEqualTo(1);
        } finally {
            answer.countDown();
        }
    }

    @Test
    void anInactiveTokenIsRejected() {
        try (var harness = introspecting(null)) {
            assertDenied(harness.request(bearer(OPAQUE)), invalidToken("inactive-token", "identity provider 'idp' says"
                    + " the token is not active (expired, revoked or unknown); get a new token"));
        }
    }

    @Test
    void anActiveAnswerIsHeldToTheProvidersClaimsRules() {
        idp.introspection(form -> active("").replace("[\"chat\"]", "[\"billing\"]"));
        try (var harness = introspecting(null)) {
            assertDenied(harness.request(bearer(OPAQUE)), invalidToken("wrong-audience",
                    "the token is for billing; only tokens for chat are accepted"));
        }
        idp.introspection(form -> active(",\"iss\":\"https://evil.test\""));
        try (var harness = introspecting(null)) {
            assertThat(reason(harness.request(bearer(OPAQUE)))).isEqualTo("wrong-issuer");
        }
    }

    @Test
    void anIntrospectionEndpointThatIsDownFailsClosed() {
        try (var harness = introspecting(JwksServer.nothingListening())) {
            String detail = "identity provider 'idp' did not answer the introspection of the token (connection"
                    + " refused); try again shortly";

            assertDenied(harness.request(bearer(OPAQUE)), new Outcome.Deny(503, "Identity provider unavailable", detail,
                    new DecidingRule("auth", "idp-unavailable", detail), Map.of("Retry-After", "30")));
        }
    }

    @Test
    void aGarbledAnswerFailsClosed() {
        idp.introspection(form -> "{\"active\":true,\"active\":false}");
        try (var harness = introspecting(null)) {
            assertThat(((Outcome.Deny) harness.request(bearer(OPAQUE))).detail()).isEqualTo("the introspection answer"
                    + " of identity provider 'idp' was not understood (it has the member active twice); try again"
                    + " shortly");
        }
    }
}
