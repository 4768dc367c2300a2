package io.gatehouse.processors.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.gatehouse.spi.GatewayServices;
import io.gatehouse.spi.GatewaySigner;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.StandardAttributes;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.TestExchange;
import java.text.ParseException;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** forwardIdentity: the model server learns who asked from a token the gateway signs, never the caller's token. */
class AuthIdentityForwardingTest extends AuthTestSupport {

    /** A signer like the gateway's: ES256, kid, typ. */
    private static final class TestSigner implements GatewaySigner {
        final ECKey key = Keys.ec("gateway-1");

        @Override
        public String sign(String type, Map<String, Object> claims) {
            try {
                SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID())
                        .type(new JOSEObjectType(type)).build(), JWTClaimsSet.parse(claims));
                jwt.sign(new ECDSASigner(key));
                return jwt.serialize();
            } catch (JOSEException | ParseException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public String jwks() {
            return new JWKSet(key.toPublicJWK()).toString();
        }
    }

    private final JwksServer idp = new JwksServer(Keys.RSA);
    private final TestSigner signer = new TestSigner();

    @AfterEach
    void close() {
        idp.close();
    }

    private ProcessorHarness<AuthConfig> harness(boolean forward) {
        return ProcessorHarness.builder(new AuthProcessorFactory(), new AuthConfig(null, null, null, null, forward))
                .endpointId("chat").gateway(identity(provider(idp.url())))
                .services(GatewayServices.of(Map.of(GatewaySigner.class, signer))).build();
    }

    @Test
    void anEndpointThatForwardsTheIdentityGetsAShortLivedTokenSignedByTheGateway() throws Exception {
        try (var harness = harness(true)) {
            String callerToken = Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims(NOW).claim("amr", List.of("pwd", "otp"))
                    .build());
            TestExchange exchange = TestExchange.post("/v1/chat/completions").requestId("req-42")
                    .header("Authorization", "Bearer " + callerToken).build();

            assertThat(harness.request(exchange)).isSameAs(Outcome.proceed());

            String forwarded = exchange.attributes().get(StandardAttributes.IDENTITY_TOKEN).orElseThrow();
            SignedJWT jwt = SignedJWT.parse(forwarded);
            assertThat(jwt.verify(new ECDSAVerifier(signer.key.toECPublicKey()))).isTrue();
            assertThat(jwt.getHeader().getType().getType()).isEqualTo("gatehouse-identity+jwt");
            assertThat(jwt.getHeader().getKeyID()).isEqualTo("gateway-1");
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            assertThat(claims.getIssuer()).isEqualTo("gatehouse");
            assertThat(claims.getSubject()).isEqualTo("u-123");
            assertThat(claims.getAudience()).containsExactly("chat");
            assertThat(claims.getJWTID()).isEqualTo("req-42");
            assertThat(claims.getIssueTime()).isEqualTo(Date.from(NOW));
            assertThat(claims.getExpirationTime()).isEqualTo(Date.from(NOW.plusSeconds(60)));
            assertThat(claims.getClaim("idp")).isEqualTo(ISSUER);
            assertThat(claims.getClaim("preferred_username")).isEqualTo("alice");
            assertThat(claims.getStringListClaim("groups")).containsExactly("analysts");
            assertThat(claims.getStringListClaim("amr")).containsExactly("pwd", "otp");
            assertThat(claims.getClaim("client_id")).isEqualTo("chat-cli");
            assertThat(forwarded).doesNotContain(callerToken.split("\\.")[2]);
        }
    }

    @Test
    void theForwardedTokenNeverOutlivesTheCallersToken() throws Exception {
        try (var harness = harness(true)) {
            TestExchange exchange = bearer(Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims(NOW)
                    .expirationTime(Date.from(NOW.plusSeconds(20))).build()));

            harness.request(exchange);

            SignedJWT jwt = SignedJWT.parse(exchange.attributes().get(StandardAttributes.IDENTITY_TOKEN).orElseThrow());
            assertThat(jwt.getJWTClaimsSet().getExpirationTime()).isEqualTo(Date.from(NOW.plusSeconds(20)));
        }
    }

    @Test
    void byDefaultNothingIsForwarded() {
        try (var harness = harness(false)) {
            TestExchange exchange = bearer(Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims(NOW).build()));

            assertThat(harness.request(exchange)).isSameAs(Outcome.proceed());
            assertThat(exchange.attributes().get(StandardAttributes.IDENTITY_TOKEN)).isEmpty();
        }
    }
}
