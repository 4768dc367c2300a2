package io.gatehouse.processors.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Outcome;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.TestExchange;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The validation rules and the identity a token yields, one provider with a local JWKS. */
class AuthProcessorTest extends AuthTestSupport {

    private final JwksServer idp = new JwksServer(Keys.RSA, Keys.EC);
    private final ProcessorHarness<AuthConfig> harness = harness(idp.url());

    @AfterEach
    void close() {
        harness.close();
        idp.close();
    }

    private Outcome send(String token) {
        return harness.request(bearer(token));
    }

    private String rs256(JWTClaimsSet.Builder claims) {
        return Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims.build());
    }

    private ProcessorHarness<AuthConfig> harness(ProviderConfig provider) {
        return harness(identity(provider), AuthConfig.defaults());
    }

    private ProviderConfig provider(ClaimsConfig claims) {
        return new ProviderConfig(ISSUER, List.of("chat"), idp.url(), null, null, null, null, null, claims, null, null);
    }

    @Test
    void aValidRs256TokenProceedsAndSetsTheIdentityFromItsClaims() {
        String token = rs256(claims(NOW)
                .claim("realm_access", Map.of("roles", List.of("offline_access", "ml-user")))
                .claim("resource_access", Map.of("chat-cli", Map.of("roles", List.of("admin"))))
                .claim("acr", "1")
                .claim("amr", List.of("pwd", "otp"))
                .claim("auth_time", NOW.minusSeconds(60).getEpochSecond())
                .claim("sid", "s-9"));
        TestExchange exchange = bearer(token);

        assertThat(harness.request(exchange)).isSameAs(Outcome.proceed());

        Identity identity = exchange.identity().orElseThrow();
        assertThat(identity.subject()).isEqualTo("u-123");
        assertThat(identity.username()).isEqualTo("alice");
        assertThat(identity.issuer()).isEqualTo(ISSUER);
        assertThat(identity.clientId()).isEqualTo("chat-cli");
        assertThat(identity.groups()).containsExactly("analysts");
        assertThat(identity.roles()).containsExactlyInAnyOrder("offline_access", "ml-user", "chat-cli:admin");
        assertThat(identity.acr()).isEqualTo("1");
        assertThat(identity.amr()).containsExactly("pwd", "otp");
        assertThat(identity.issuedAt()).isEqualTo(NOW);
        assertThat(identity.authTime()).isEqualTo(NOW.minusSeconds(60));
        assertThat(identity.expiresAt()).isEqualTo(NOW.plusSeconds(300));
        assertThat(identity.sessionId()).isEqualTo("s-9");
        assertThat(identity.claims()).containsEntry("typ", "Bearer").containsEntry("sub", "u-123")
                .containsEntry("exp", NOW.plusSeconds(300).getEpochSecond()).containsEntry("aud", "chat")
                .containsEntry("realm_access", Map.of("roles", List.of("offline_access", "ml-user")));
    }

    @Test
    void aValidEs256TokenProceeds() {
        TestExchange exchange = bearer(Keys.sign(Keys.EC, JWSAlgorithm.ES256, claims(NOW).build()));

        assertThat(harness.request(exchange)).isSameAs(Outcome.proceed());
        assertThat(exchange.identity().orElseThrow().subject()).isEqualTo("u-123");
    }

    @Test
    void aValidPs256TokenProceeds() {
        assertThat(send(Keys.sign(Keys.RSA, JWSAlgorithm.PS256, claims(NOW).build()))).isSameAs(Outcome.proceed());
    }

    @Test
    void keycloakFullPathGroupsKeepTheirLastSegmentAndPlainNamesStayAsTheyAre() {
        TestExchange exchange = bearer(rs256(claims(NOW).claim("groups", List.of("/org/ml/analysts", "/admins", "ops"))));

        harness.request(exchange);

        assertThat(exchange.identity().orElseThrow().groups()).containsExactlyInAnyOrder("analysts", "admins", "ops");
    }

    @Test
    void groupNamesPathKeepsKeycloakFullPaths() {
        try (var paths = harness(provider(new ClaimsConfig(null, null, null, ClaimsConfig.GroupNames.PATH, null)))) {
            TestExchange exchange = bearer(rs256(claims(NOW).claim("groups", List.of("/org/admins", "/admins"))));

            paths.request(exchange);

            assertThat(exchange.identity().orElseThrow().groups()).containsExactlyInAnyOrder("/org/admins", "/admins");
        }
    }

    @Test
    void theClaimsOfSubjectUsernameGroupsAndRolesAreConfigurable() {
        ClaimsConfig custom = new ClaimsConfig("oid", "email", "org.teams", null, List.of("scopes", "apps.*.perms"));
        try (var mapped = harness(provider(custom))) {
            TestExchange exchange = bearer(rs256(claims(NOW).claim("oid", "o-7").claim("email", "a@x.test")
                    .claim("org", Map.of("teams", List.of("/t/blue")))
                    .claim("scopes", List.of("read"))
                    .claim("apps", Map.of("chat", Map.of("perms", List.of("write")), "ops", Map.of("perms", List.of())))));

            assertThat(mapped.request(exchange)).isSameAs(Outcome.proceed());

            Identity identity = exchange.identity().orElseThrow();
            assertThat(identity.subject()).isEqualTo("o-7");
            assertThat(identity.username()).isEqualTo("a@x.test");
            assertThat(identity.groups()).containsExactly("blue");
            assertThat(identity.roles()).containsExactlyInAnyOrder("read", "chat:write");
        }
    }

    @Test
    void withoutPreferredUsernameTheUsernameIsTheSubjectAndClientIdFallsBackToClientIdClaim() {
        TestExchange exchange = bearer(rs256(claims(NOW).claim("preferred_username", null).claim("azp", null)
                .claim("client_id", "ci-bot").claim("groups", null)));

        harness.request(exchange);

        Identity identity = exchange.identity().orElseThrow();
        assertThat(identity.username()).isEqualTo("u-123");
        assertThat(identity.clientId()).isEqualTo("ci-bot");
        assertThat(identity.groups()).isEmpty();
    }

    @Test
    void theAuthorizationHeaderIsRemovedAfterSuccessAndOtherHeadersStay() {
        TestExchange exchange = TestExchange.post("/v1/chat/completions")
                .header("Authorization", "Bearer " + rs256(claims(NOW))).header("Accept", "text/event-stream").build();

        harness.request(exchange);

        assertThat(exchange.request().headers().contains("Authorization")).isFalse();
        assertThat(exchange.request().headers().first("Accept")).contains("text/event-stream");
    }

    @Test
    void theBearerSchemeIsCaseInsensitive() {
        TestExchange exchange = TestExchange.post("/").header("Authorization", "bEaReR " + rs256(claims(NOW))).build();

        assertThat(harness.request(exchange)).isSameAs(Outcome.proceed());
    }

    @Test
    void aMissingTokenGetsAPlainBearerChallenge() {
        String detail = "this endpoint requires a bearer token; send Authorization: Bearer <access token>";

        assertDenied(harness.request(TestExchange.post("/v1/chat/completions").build()),
                new Outcome.Deny(401, "Authentication required", detail,
                        new DecidingRule("auth", "missing-token", detail),
                        Map.of("WWW-Authenticate", "Bearer realm=\"gatehouse\"")));
    }

    @Test
    void anotherSchemeCountsAsNoTokenAndIsNamed() {
        String detail = "the Authorization header uses the Basic scheme; this endpoint accepts only bearer tokens:"
                + " send Authorization: Bearer <access token>";

        assertDenied(harness.request(TestExchange.post("/").header("Authorization", "Basic YWxpY2U6cHc=").build()),
                new Outcome.Deny(401, "Authentication required", detail,
                        new DecidingRule("auth", "missing-token", detail),
                        Map.of("WWW-Authenticate", "Bearer realm=\"gatehouse\"")));
    }

    @Test
    void anExpiredTokenIsRejectedWithItsExpiryTime() {
        String token = rs256(claims(NOW).expirationTime(Date.from(NOW.minusSeconds(31))));

        assertDenied(send(token), invalidToken("expired", "the token expired at 2025-12-31T23:59:29Z; get a new token"));
    }

    @Test
    void aTokenThatExpiredWithinTheClockSkewIsStillAccepted() {
        assertThat(send(rs256(claims(NOW).expirationTime(Date.from(NOW.minusSeconds(29))))))
                .isSameAs(Outcome.proceed());
    }

    @Test
    void aTokenNotValidBeforeALaterTimeIsRejected() {
        String token = rs256(claims(NOW).notBeforeTime(Date.from(NOW.plusSeconds(31))));

        assertDenied(send(token), invalidToken("not-yet-valid", "the token is not valid before 2026-01-01T00:00:31Z"
                + " (nbf); wait until then, or check the clock of the identity provider"));
        assertThat(send(rs256(claims(NOW).notBeforeTime(Date.from(NOW.plusSeconds(29))))))
                .isSameAs(Outcome.proceed());
    }

    @Test
    void aTokenIssuedInTheFutureIsRejected() {
        String token = rs256(claims(NOW).issueTime(Date.from(NOW.plusSeconds(31))));

        assertDenied(send(token), invalidToken("issued-in-future", "the token was issued at 2026-01-01T00:00:31Z (iat),"
                + " in the future; check the clocks of the gateway and the identity provider"));
    }

    @Test
    void aTokenWithoutExpiryIsRejected() {
        assertDenied(send(rs256(claims(NOW).expirationTime(null))), invalidToken("missing-claim",
                "the token has no expiry (exp); only tokens that expire are accepted"));
    }

    @Test
    void aTokenWithoutSubjectIsRejected() {
        assertDenied(send(rs256(claims(NOW).subject(null))), invalidToken("missing-claim",
                "the token has no subject (sub); it is needed to identify the caller"));
    }

    @Test
    void aKeycloakIdTokenIsNotAnAccessToken() {
        assertDenied(send(rs256(claims(NOW).claim("typ", "ID"))), invalidToken("wrong-type", "the token is of type ID"
                + " (typ claim), not an access token (Bearer); send the access token, not an ID or refresh token"));
        assertThat(reason(send(rs256(claims(NOW).claim("typ", "Refresh"))))).isEqualTo("wrong-type");
    }

    @Test
    void aTokenSignedByAnotherKeyWithTheSameKidHasABadSignature() {
        String token = Keys.sign(Keys.RSA_IMPOSTOR, JWSAlgorithm.RS256, claims(NOW).build());

        assertDenied(send(token), invalidToken("bad-signature", "the signature of the token does not verify with the"
                + " key of its identity provider (kid rsa-1); the token was altered or not issued by " + ISSUER));
    }

    @Test
    void aTokenWhosePayloadWasAlteredHasABadSignature() {
        String[] parts = rs256(claims(NOW)).split("\\.");
        String forged = Base64URL.encode(claims(NOW).subject("admin").build().toString()).toString();

        assertThat(reason(send(parts[0] + "." + forged + "." + parts[2]))).isEqualTo("bad-signature");
    }

    @Test
    void anUnsignedTokenIsRejected() {
        String token = new PlainJWT(claims(NOW).build()).serialize();

        assertDenied(send(token), invalidToken("alg-not-allowed",
                "the token says it is unsigned (alg none); only signed access tokens are accepted"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"None", "NONE", "nOnE"})
    void otherSpellingsOfNoneAreUnsignedTokensWithOrWithoutASignature(String alg) {
        String header = Base64URL.encode("{\"alg\":\"" + alg + "\",\"kid\":\"rsa-1\"}").toString();
        String payload = Base64URL.encode(claims(NOW).build().toString()).toString();
        Outcome.Deny expected = invalidToken("alg-not-allowed",
                "the token says it is unsigned (alg none); only signed access tokens are accepted");

        assertDenied(send(header + "." + payload + ".c2ln"), expected);
        assertDenied(send(header + "." + payload + "."), expected);
    }

    @Test
    void hs256SignedWithTheRsaPublicKeyAsSecretIsRejected() throws Exception {
        byte[] publicKeyAsSecret = Keys.RSA.toRSAPublicKey().getEncoded();
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa-1").type(JOSEObjectType.JWT).build();
        String token = Keys.sign(new MACSigner(publicKeyAsSecret), header, claims(NOW).build());

        assertDenied(send(token), invalidToken("alg-not-allowed", "the token is signed with HS256; identity provider"
                + " 'idp' is trusted only with ES256, PS256, RS256 (algorithms)"));
    }

    @Test
    void anAlgorithmOutsideTheConfiguredSetIsRejectedEvenWithAGoodSignature() {
        try (var rsOnly = harness(new ProviderConfig(ISSUER, List.of("chat"), idp.url(), Set.of("RS256"), null, null,
                null, null, null, null, null))) {
            Outcome outcome = rsOnly.request(bearer(Keys.sign(Keys.EC, JWSAlgorithm.ES256, claims(NOW).build())));

            assertDenied(outcome, invalidToken("alg-not-allowed", "the token is signed with ES256; identity provider"
                    + " 'idp' is trusted only with RS256 (algorithms)"));
        }
    }

    @Test
    void aTokenOfAnIssuerNoProviderHasIsRejectedNamingTheAcceptedIssuers() {
        assertDenied(send(rs256(claims(NOW).issuer("https://idp.test/realms/other"))), invalidToken("wrong-issuer",
                "the token was issued by https://idp.test/realms/other; this endpoint accepts only tokens issued by "
                        + ISSUER));
    }

    @Test
    void aTokenWithoutIssuerIsRejected() {
        assertDenied(send(rs256(claims(NOW).issuer(null))), invalidToken("wrong-issuer",
                "the token has no issuer (iss); this endpoint accepts only tokens issued by " + ISSUER));
    }

    @Test
    void anIssuerDifferingOnlyByATrailingSlashOrCaseIsAWrongIssuer() {
        assertThat(reason(send(rs256(claims(NOW).issuer(ISSUER + "/"))))).isEqualTo("wrong-issuer");
        assertThat(reason(send(rs256(claims(NOW).issuer(ISSUER.toUpperCase()))))).isEqualTo("wrong-issuer");
    }

    @Test
    void aTokenWithoutAudienceIsRejected() {
        assertDenied(send(rs256(claims(NOW).audience((String) null))), invalidToken("wrong-audience",
                "the token has no audience (aud); only tokens for chat are accepted: have the identity provider add it"
                        + " to the token (Keycloak: an audience mapper)"));
    }

    @Test
    void aTokenForAnotherAudienceIsRejected() {
        assertDenied(send(rs256(claims(NOW).audience(List.of("account", "billing")))), invalidToken("wrong-audience",
                "the token is for account, billing; only tokens for chat are accepted"));
    }

    @Test
    void oneMatchingAudienceAmongSeveralIsEnough() {
        assertThat(send(rs256(claims(NOW).audience(List.of("account", "chat"))))).isSameAs(Outcome.proceed());
    }

    @Test
    void aTokenOverMaxTokenBytesIsRejectedBeforeItIsParsed() {
        IdentityConfig small = new IdentityConfig(Map.of("idp", provider(idp.url())), null, ByteSize.ofBytes(1024),
                null, null);
        try (var harness = harness(small, AuthConfig.defaults())) {
            String token = rs256(claims(NOW).claim("padding", "x".repeat(1000)));

            assertDenied(harness.request(bearer(token)), invalidToken("too-large", "the token is " + token.length()
                    + " bytes; at most 1024 bytes are accepted (identity.maxTokenBytes)"));
            assertThat(idp.hits()).isZero();
        }
    }

    @Test
    void aMalformedTokenIsRejectedSayingWhy() {
        assertDenied(send("not-a-jwt"), invalidToken("malformed",
                malformed("it is not a JWT, and this endpoint accepts no opaque tokens")));
        assertDenied(send("a.b.c"), invalidToken("malformed", malformed("its header is not base64url")));
        assertDenied(send("abc def"), invalidToken("malformed", malformed("it has characters a bearer token cannot have")));
    }

    @Test
    void anEncryptedTokenIsRejected() {
        assertDenied(send("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d"), invalidToken("malformed",
                "the token is encrypted (JWE); only signed access tokens (JWS) are accepted"));
    }

    @Test
    void aBearerHeaderWithoutATokenIsMalformed() {
        Outcome outcome = harness.request(TestExchange.post("/").header("Authorization", "Bearer   ").build());

        assertDenied(outcome, invalidToken("malformed",
                "the Authorization header has the Bearer scheme but no token; send Authorization: Bearer <access token>"));
    }

    @Test
    void anUnknownCriticalHeaderParameterIsRejected() {
        String token = Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims(NOW).build(),
                h -> h.criticalParams(Set.of("exp-ext")).customParam("exp-ext", 1));

        assertDenied(send(token), invalidToken("unsupported-crit", "the token marks header parameters as critical"
                + " (exp-ext); the gateway understands none, so it cannot accept the token"));
    }

    @Test
    void aTokenOfAnotherTypeIsRejected() {
        String token = Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims(NOW).build(),
                h -> h.type(new JOSEObjectType("secevent+jwt")));

        assertDenied(send(token), invalidToken("wrong-type",
                "the token has type secevent+jwt; only access tokens of type JWT or at+jwt are accepted"));
    }

    @Test
    void anAtJwtTypedAccessTokenIsAcceptedAndTypeCanBeRequired() {
        String atJwt = Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims(NOW).build(),
                h -> h.type(new JOSEObjectType("application/at+jwt")));
        assertThat(send(atJwt)).isSameAs(Outcome.proceed());

        try (var strict = harness(new ProviderConfig(ISSUER, List.of("chat"), idp.url(), null, null, Set.of("at+jwt"),
                null, null, null, null, null))) {
            assertThat(strict.request(bearer(atJwt))).isSameAs(Outcome.proceed());
            assertDenied(strict.request(bearer(rs256(claims(NOW)))), invalidToken("wrong-type",
                    "the token has type JWT; only access tokens of type at+jwt are accepted"));
            assertDenied(strict.request(bearer(Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims(NOW).build(),
                    h -> h.type(null)))), invalidToken("wrong-type", "the token has no type (typ); identity provider"
                    + " 'idp' is trusted only with tokens of type at+jwt"));
        }
    }

    @Test
    void twoAuthorizationHeadersAreAnInvalidRequest() {
        String token = rs256(claims(NOW));
        TestExchange exchange = TestExchange.post("/").header("Authorization", "Bearer " + token)
                .header("Authorization", "Bearer " + token).build();
        String detail = "the request carries 2 Authorization headers; send exactly one: Authorization: Bearer"
                + " <access token>";

        assertDenied(harness.request(exchange), new Outcome.Deny(400, "Invalid request", detail,
                new DecidingRule("auth", "multiple-credentials", detail), Map.of("WWW-Authenticate",
                "Bearer realm=\"gatehouse\", error=\"invalid_request\", error_description=\"" + detail + "\"")));
        assertThat(exchange.identity()).isEmpty();
    }

    @Test
    void aTokenInTheUrlIsRefusedEvenBesideAValidHeader() {
        String token = rs256(claims(NOW));
        TestExchange exchange = TestExchange.post("/v1/models?access_token=" + token)
                .header("Authorization", "Bearer " + token).build();

        Outcome.Deny deny = (Outcome.Deny) harness.request(exchange);

        assertThat(deny.status()).isEqualTo(400);
        assertThat(deny.detail()).isEqualTo("tokens in the URL (access_token query parameter) are not accepted, as URLs"
                + " end up in logs; send Authorization: Bearer <access token> instead");
        assertThat(deny.rule().rule()).isEqualTo("token-in-url");
    }

    @Test
    void aGroupsClaimThatIsNotAListRejectsTheToken() {
        assertDenied(send(rs256(claims(NOW).claim("groups", "analysts"))), invalidToken("malformed-claim",
                "the groups claim of the token is not a list of strings; fix the mapper of that claim at the identity"
                        + " provider"));
    }

    @Test
    void aGroupNameWithAnInvisibleCharacterRejectsTheToken() {
        assertDenied(send(rs256(claims(NOW).claim("groups", List.of("admins\u200b")))), invalidToken("malformed-claim",
                "the groups claim of the token holds a name with control or invisible characters; fix the group names"
                        + " at the identity provider"));
    }

    @Test
    void callerSuppliedTextIsDefusedInTheChallenge() {
        Outcome.Deny deny = (Outcome.Deny) send(rs256(claims(NOW).issuer("x\", error=\"none\\")));

        assertThat(deny.detail()).isEqualTo("the token was issued by x?, error=?none?; this endpoint accepts only"
                + " tokens issued by " + ISSUER);
        assertThat(deny.headers().get("WWW-Authenticate")).isEqualTo("Bearer realm=\"gatehouse\","
                + " error=\"invalid_token\", error_description=\"" + deny.detail() + "\"");
    }

    @Test
    void theProcessorShowsItsConfigAndNoSecret() {
        assertThat(harness.processor()).hasToString("auth[endpoint=test, providers=[idp], forwardIdentity=false]");
    }
}
