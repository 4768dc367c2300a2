package io.gatehouse.processors.auth;

import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Outcome;
import java.time.Duration;

/**
 * Verifies the bearer token of each request and sets the identity; then removes the
 * {@code Authorization} header so the caller's token never travels further.
 *
 * <p>The request phase is synchronous. On a cold key cache (first request, or a token with a key id
 * not seen yet) Nimbus fetches the JWKS on the calling worker thread, bounded by short HTTP timeouts
 * and by the refetch rate limit. That is acceptable for this first form; a verified-token cache and
 * an asynchronous refresh are the next step.
 *
 * <p>The flow is three parts so that later checks slot in between: {@link BearerToken} takes the
 * token from the request, {@link TokenVerifier} checks signature and claims, {@link IdentityMapper}
 * turns the claims into an {@link io.gatehouse.spi.Identity}. Thread-safe.
 */
public final class AuthProcessor implements GatewayProcessor {

    private final AuthConfig config;
    private final TokenVerifier verifier;
    private final IdentityMapper identities;
    private final Duration retryAfter;

    AuthProcessor(AuthConfig config, TokenVerifier verifier, IdentityMapper identities) {
        this.config = config;
        this.verifier = verifier;
        this.identities = identities;
        this.retryAfter = config.jwksRefreshInterval();
    }

    @Override
    public Outcome onRequest(GatewayExchange exchange) {
        try {
            String token = BearerToken.extract(exchange.request(), config.maxTokenBytes().bytes());
            exchange.setIdentity(identities.map(verifier.verify(token)));
        } catch (AuthRejection rejection) {
            return rejection.toDeny(retryAfter);
        }
        exchange.request().headers().remove("Authorization");
        return Outcome.proceed();
    }

    /** Stops the key source's background refresh. */
    @Override
    public void close() {
        verifier.close();
    }

    @Override
    public String toString() {
        return "auth[issuer=" + config.issuer() + ", audiences=" + config.audiences() + ", algorithms="
                + config.algorithms() + ", jwksUrl=" + config.jwksUrl() + "]";
    }
}
