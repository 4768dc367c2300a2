package io.gatehouse.processors.auth;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.gatehouse.processors.auth.IdentityProviders.Provider;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.StandardAttributes;
import io.gatehouse.spi.metrics.Metrics;
import java.text.ParseException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies the bearer token of each request and sets the identity; then removes the
 * {@code Authorization} header so the caller's token never travels further.
 *
 * <p>The flow: {@link BearerToken} takes the token from the request (bounded in size); a token seen
 * before is found in the shared {@link TokenCache} by its SHA-256 (its provider must still publish
 * its key, and the keys must not be past their staleness limit); otherwise {@link CompactJws} takes
 * it apart strictly, its {@code iss} picks the one provider allowed to verify it, and that
 * provider's {@link JwtVerifier} checks signature and claims (an opaque token goes to the endpoint's
 * introspecting provider instead). Then {@link Conditions} checks MFA and age, and, when the
 * endpoint forwards the identity, a token for the model server is signed.
 *
 * <p>Runs on the gateway's worker pool, never on a network thread. A cached token costs
 * microseconds; a key fetch (first token, unknown key id) waits at most the provider's fetch timeout
 * and its size is bounded. Thread-safe.
 */
public final class AuthProcessor implements GatewayProcessor {

    private static final Logger LOG = LoggerFactory.getLogger(AuthProcessor.class);

    private final IdentityProviders shared;
    private final AuthConfig config;
    private final String endpointId;
    private final Map<String, Provider> allowed;
    private final Provider opaque;
    private final Conditions conditions;
    private final IdentityTokens identityTokens;
    private final long maxTokenBytes;
    private final String acceptedIssuers;
    private final List<Metrics.Registration> gauges;

    AuthProcessor(IdentityProviders shared, AuthConfig config, String endpointId, Map<String, Provider> allowed,
                  Provider opaque, IdentityTokens identityTokens, List<Metrics.Registration> gauges) {
        this.shared = shared;
        this.config = config;
        this.endpointId = endpointId;
        this.allowed = allowed;
        this.opaque = opaque;
        this.conditions = new Conditions(config, shared.config().groups());
        this.identityTokens = identityTokens;
        this.maxTokenBytes = shared.config().maxTokenBytes().bytes();
        this.acceptedIssuers = allowed.values().stream().map(p -> p.config().issuer()).collect(Collectors.joining(", "));
        this.gauges = List.copyOf(gauges);
    }

    /** Withdraws this endpoint's key-age gauges (a reload's new processor has registered its own). */
    @Override
    public void close() {
        gauges.forEach(Metrics.Registration::close);
    }

    /** An opaque token's introspection answer, asked for before the step ran (never on the event loop). */
    @SuppressWarnings("rawtypes")
    private static final io.gatehouse.spi.AttributeKey<CompletableFuture> INTROSPECTION =
            io.gatehouse.spi.AttributeKey.of("auth.introspection", CompletableFuture.class);

    /** A verified token: its provider and what it says. */
    private record Verified(Provider provider, Identity identity) {
    }

    /**
     * Processors run on the connection's event loop and must not block. A token whose keys are not
     * cached (first use, past maxStaleness, an unknown key id) first waits, as a stage, for the key
     * fetch it needs; verifying then finds the keys in the cache.
     */
    @Override
    public CompletionStage<Outcome> onRequestAsync(GatewayExchange exchange) {
        Presented presented;
        try {
            presented = present(exchange);
        } catch (AuthRejection rejection) {
            return CompletableFuture.completedFuture(refused(exchange, rejection));
        }
        CompletableFuture<?> keys = keysToWaitFor(exchange, presented);
        if (keys == null) {
            return CompletableFuture.completedFuture(decide(exchange, presented));
        }
        return keys.handle((snapshot, error) -> decide(exchange, presented)); // a failed fetch: verifying says why
    }

    /**
     * The request's bearer token and its cache digest, read once per request: the token is hundreds of
     * characters, and checking and hashing it twice (once to see whether keys must be fetched, once to
     * verify) was about 2 % of the gateway's CPU under the limits+auth load.
     */
    private record Presented(String token, TokenCache.Digest digest) {
    }

    private Presented present(GatewayExchange exchange) throws AuthRejection {
        String token = BearerToken.extract(exchange.request(), maxTokenBytes);
        return new Presented(token, TokenCache.digest(token));
    }

    /**
     * The key fetch (JWT) or introspection answer (opaque token) this request's token needs before it
     * can be verified without blocking, or null.
     */
    private CompletableFuture<?> keysToWaitFor(GatewayExchange exchange, Presented presented) {
        try {
            String token = presented.token();
            if (shared.cache().get(presented.digest(), shared.clock().instant()) != null) {
                return null;
            }
            if (!CompactJws.looksLikeJwt(token)) {
                CompletableFuture<byte[]> asked = opaque == null ? null : opaque.introspector().answerAsync(token);
                if (asked != null) {
                    exchange.attributes().put(INTROSPECTION, asked);
                }
                return asked;
            }
            SignedJWT jwt = CompactJws.parse(token);
            Provider provider = shared.byIssuer(jwt.getJWTClaimsSet().getIssuer()).orElse(null);
            if (provider == null || !allowed.containsKey(provider.name())) {
                return null;
            }
            return provider.keys().fetchFor(jwt.getHeader().getKeyID());
        } catch (AuthRejection | ParseException | RuntimeException e) {
            return null; // verifying refuses it and says why
        }
    }

    @Override
    public Outcome onRequest(GatewayExchange exchange) {
        try {
            return decide(exchange, present(exchange));
        } catch (AuthRejection rejection) {
            return refused(exchange, rejection);
        }
    }

    private Outcome decide(GatewayExchange exchange, Presented presented) {
        try {
            Instant now = shared.clock().instant();
            @SuppressWarnings("unchecked")
            CompletableFuture<byte[]> asked = exchange.attributes().remove(INTROSPECTION).orElse(null);
            Verified verified = verifyFailingClosed(presented, now, asked);
            conditions.check(verified.identity(), verified.provider().name(), verified.provider().config(), now);
            exchange.setIdentity(verified.identity());
            if (identityTokens != null) {
                exchange.attributes().put(StandardAttributes.IDENTITY_TOKEN,
                        identityTokens.issue(verified.identity(), exchange.requestId(), now));
            }
        } catch (AuthRejection rejection) {
            return refused(exchange, rejection);
        }
        exchange.request().headers().remove("Authorization");
        return Outcome.proceed();
    }

    private Outcome refused(GatewayExchange exchange, AuthRejection rejection) {
        LOG.debug("auth on endpoint '{}': request {} rejected: {} ({})", endpointId, exchange.requestId(),
                rejection.reason(), rejection.getMessage());
        return rejection.toDeny();
    }

    /**
     * {@link #verify}, with anything unforeseen a library may throw on hostile input turned into a
     * refusal (logged with its stack trace here, never shown to the caller): fail closed, never 500.
     */
    private Verified verifyFailingClosed(Presented presented, Instant now, CompletableFuture<byte[]> asked)
            throws AuthRejection {
        try {
            return verify(presented.token(), presented.digest(), now, asked);
        } catch (RuntimeException e) {
            LOG.warn("auth on endpoint '{}': verifying a token failed unexpectedly; it is refused", endpointId, e);
            throw CompactJws.malformed("it could not be verified");
        }
    }

    private Verified verify(String token, TokenCache.Digest digest, Instant now, CompletableFuture<byte[]> asked)
            throws AuthRejection {
        TokenCache cache = shared.cache();
        TokenCache.Entry entry = cache.get(digest, now);
        if (entry != null) {
            Provider provider = shared.byName().get(entry.provider());
            accepted(provider);
            if (entry.introspected() || stillPublished(provider, entry.keyId())) {
                return new Verified(provider, entry.identity());
            }
            cache.remove(digest); // the key was withdrawn: verify again, which names the problem
        }
        if (CompactJws.looksLikeJwt(token)) {
            return verifyJwt(token, digest, now);
        }
        if (opaque != null) {
            JWTClaimsSet claims = opaque.introspector().introspect(token, asked);
            Identity identity = opaque.mapper().map(claims);
            Instant until = now.plus(opaque.introspector().settings().cacheTtl());
            if (identity.expiresAt().isBefore(until)) {
                until = identity.expiresAt();
            }
            cache.put(digest, new TokenCache.Entry(opaque.name(), identity, null, true, until), now);
            return new Verified(opaque, identity);
        }
        throw CompactJws.malformed("it is not a JWT, and this endpoint accepts no opaque tokens");
    }

    private Verified verifyJwt(String token, TokenCache.Digest digest, Instant now) throws AuthRejection {
        SignedJWT jwt = CompactJws.parse(token);
        String issuer;
        try {
            issuer = jwt.getJWTClaimsSet().getIssuer();
        } catch (ParseException e) {
            throw CompactJws.malformed("its claims have the wrong types");
        }
        Provider provider = shared.byIssuer(issuer).orElseThrow(() -> AuthRejection.invalidToken("wrong-issuer",
                (issuer == null ? "the token has no issuer (iss)" : "the token was issued by " + AuthRejection.safe(issuer))
                        + "; this endpoint accepts only tokens issued by " + acceptedIssuers));
        accepted(provider);
        JWTClaimsSet claims = provider.verifier().verify(jwt);
        Identity identity = provider.mapper().map(claims);
        Instant until = identity.expiresAt().plus(provider.config().clockSkew());
        cache().put(digest, new TokenCache.Entry(provider.name(), identity, jwt.getHeader().getKeyID(), false, until),
                now);
        return new Verified(provider, identity);
    }

    private TokenCache cache() {
        return shared.cache();
    }

    /** The provider's keys are usable (not past their staleness limit) and still include this one. */
    private static boolean stillPublished(Provider provider, String keyId) throws AuthRejection {
        try {
            return provider.keys().usable().has(keyId);
        } catch (ProviderKeys.Unavailable e) {
            throw AuthRejection.unavailable(e.getMessage(), provider.config().jwks().refreshInterval());
        }
    }

    private void accepted(Provider provider) throws AuthRejection {
        if (!allowed.containsKey(provider.name())) {
            throw AuthRejection.invalidToken("issuer-not-accepted", "the token was issued by " + provider.config().issuer()
                    + " (identity provider '" + provider.name() + "'), which this endpoint does not accept; it accepts"
                    + " tokens issued by " + acceptedIssuers);
        }
    }

    @Override
    public String toString() {
        return "auth[endpoint=" + endpointId + ", providers=" + allowed.keySet() + ", forwardIdentity="
                + config.forwardIdentity() + "]";
    }
}
