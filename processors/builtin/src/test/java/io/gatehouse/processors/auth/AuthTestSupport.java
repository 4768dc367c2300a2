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

/**
 * Shared setup: one provider {@code idp} with issuer {@link #ISSUER} and audience {@code chat}, its keys
 * at a given JWKS URL, and claims valid on the harness clock ({@link #NOW}).
 */
abstract class AuthTestSupport {

    static final String ISSUER = "https://idp.test/realms/ml";
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    static ProviderConfig provider(URI jwksUri) {
        return new ProviderConfig(ISSUER, List.of("chat"), jwksUri, null, null, null, null, null, null, null, null);
    }

    static IdentityConfig identity(ProviderConfig provider) {
        return IdentityConfig.of(Map.of("idp", provider));
    }

    static ProcessorHarness<AuthConfig> harness(URI jwksUri) {
        return harness(identity(provider(jwksUri)), AuthConfig.defaults());
    }

    static ProcessorHarness<AuthConfig> harness(IdentityConfig identity, AuthConfig step) {
        return ProcessorHarness.builder(new AuthProcessorFactory(), step).gateway(identity).build();
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

    /** The detail of a malformed token. */
    static String malformed(String why) {
        return "the token is not a well-formed signed JWT (" + why + "); send the access token your identity provider"
                + " issued";
    }

    static void assertDenied(Outcome outcome, Outcome.Deny expected) {
        assertThat(outcome).isInstanceOf(Outcome.Deny.class);
        Outcome.Deny deny = (Outcome.Deny) outcome;
        assertThat(deny.rule()).isEqualTo(expected.rule());
        assertThat(deny).isEqualTo(expected);
    }

    /** Sends requests until one gets an outcome that {@code done} accepts (background refreshes), at most 5 s. */
    static Outcome eventually(java.util.function.Supplier<Outcome> request, java.util.function.Predicate<Outcome> done) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        Outcome outcome = request.get();
        while (!done.test(outcome) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            outcome = request.get();
        }
        return outcome;
    }

    static boolean denied(Outcome outcome) {
        return outcome instanceof Outcome.Deny;
    }

    static String reason(Outcome outcome) {
        assertThat(outcome).isInstanceOf(Outcome.Deny.class);
        return ((Outcome.Deny) outcome).rule().rule();
    }
}
