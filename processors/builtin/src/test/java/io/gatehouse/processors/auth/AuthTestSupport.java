package io.gatehouse.processors.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWTClaimsSet;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.Outcome;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.TestExchange;
import java.net.URI;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;

/** Shared setup: an auth step for endpoint audience {@code chat} and claims valid on the harness clock. */
abstract class AuthTestSupport {

    static final String ISSUER = "https://idp.test/realms/ml";

    static ProcessorHarness<AuthConfig> harness(URI jwksUrl) {
        return harness(AuthConfig.of(jwksUrl, ISSUER, "chat"));
    }

    static ProcessorHarness<AuthConfig> harness(AuthConfig config) {
        return ProcessorHarness.of(new AuthProcessorFactory(), config);
    }

    /** Claims a Keycloak password login would carry, valid for five minutes from {@code now}. */
    static JWTClaimsSet.Builder claims(Instant now) {
        return new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .audience("chat")
                .subject("u-123")
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(300)))
                .claim("preferred_username", "alice")
                .claim("azp", "chat-cli")
                .claim("groups", List.of("analysts"))
                .claim("typ", "Bearer");
    }

    static TestExchange bearer(String token) {
        return TestExchange.post("/v1/chat/completions").header("Authorization", "Bearer " + token).build();
    }

    /** The exact 401 an invalid token gets: the detail doubles as the RFC 6750 error_description. */
    static Outcome.Deny invalidToken(String reason, String detail) {
        return new Outcome.Deny(401, "Invalid token", detail, new DecidingRule("auth", reason, detail),
                Map.of("WWW-Authenticate", "Bearer realm=\"gatehouse\", error=\"invalid_token\", error_description=\""
                        + detail + "\""));
    }

    static void assertDenied(Outcome outcome, Outcome.Deny expected) {
        assertThat(outcome).isInstanceOf(Outcome.Deny.class);
        Outcome.Deny deny = (Outcome.Deny) outcome;
        assertThat(deny.rule()).isEqualTo(expected.rule());
        assertThat(deny).isEqualTo(expected);
    }
}
