package io.gatehouse.processors.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JOSEObjectTypeVerifier;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.EndpointContext;
import java.io.Closeable;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.text.ParseException;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies a compact JWS access token with Nimbus: the header first (algorithm allow-list,
 * {@code typ}, no {@code crit}), then {@link DefaultJWTProcessor} with keys from the configured JWKS
 * only and the {@link ClaimsVerifier}. Every failure becomes an {@link AuthRejection} with its own
 * reason code. Fails closed: without keys, nothing is accepted.
 */
final class TokenVerifier implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(TokenVerifier.class);

    static final int HTTP_CONNECT_TIMEOUT_MS = 2_000;
    static final int HTTP_READ_TIMEOUT_MS = 2_000;
    static final int JWKS_SIZE_LIMIT_BYTES = 256 * 1024;
    static final long CACHE_REFRESH_TIMEOUT_MS = 15_000;
    static final long REFRESH_AHEAD_MS = 30_000;
    /** How long known keys stay usable past their TTL while the identity provider is unreachable. */
    static final Duration OUTAGE_GRACE = Duration.ofHours(1);
    private static final Set<String> ACCEPTED_TYPES = Set.of("jwt", "application/jwt", "at+jwt", "application/at+jwt");

    private final AuthConfig config;
    private final String endpointId;
    private final JWKSource<VerificationContext> keys;
    private final DefaultJWTProcessor<VerificationContext> processor = new DefaultJWTProcessor<>();
    private final AtomicBoolean keysLoaded = new AtomicBoolean();
    private final String acceptedAlgorithms;

    private TokenVerifier(AuthConfig config, EndpointContext endpoint, JWKSource<VerificationContext> keys) {
        this.config = config;
        this.endpointId = endpoint.endpointId();
        this.keys = keys;
        this.acceptedAlgorithms = String.join(", ", config.algorithms());
        Set<JWSAlgorithm> algorithms = config.algorithms().stream().map(JWSAlgorithm::parse).collect(Collectors.toSet());
        processor.setJWSTypeVerifier(TYPE_VERIFIER);
        processor.setJWSKeySelector(new KeySelector(algorithms, keys, keysLoaded));
        processor.setJWTClaimsSetVerifier(new ClaimsVerifier(config, endpoint.clock()));
    }

    /** Builds the key source: cached, refreshed ahead of expiry, refetch on unknown kid rate-limited, outage-tolerant. */
    static TokenVerifier create(AuthConfig config, EndpointContext endpoint) {
        URL url;
        try {
            url = config.jwksUrl().toURL();
        } catch (MalformedURLException | IllegalArgumentException e) {
            throw new ConfigException("jwksUrl", "is not a usable URL: " + e.getMessage());
        }
        ExecutorService refresher = Executors.newSingleThreadExecutor(task -> {
            Thread thread = new Thread(task, "gatehouse-jwks-" + endpoint.endpointId());
            thread.setDaemon(true);
            return thread;
        });
        long ttl = config.jwksCacheTtl().toMillis();
        JWKSource<VerificationContext> keys = JWKSourceBuilder.<VerificationContext>create(url,
                        new DefaultResourceRetriever(HTTP_CONNECT_TIMEOUT_MS, HTTP_READ_TIMEOUT_MS, JWKS_SIZE_LIMIT_BYTES))
                .cache(ttl, CACHE_REFRESH_TIMEOUT_MS)
                .refreshAheadCache(REFRESH_AHEAD_MS, null, refresher, true, null, false)
                .rateLimited(config.jwksRefreshInterval().toMillis())
                .outageTolerant(ttl + OUTAGE_GRACE.toMillis())
                .build();
        return new TokenVerifier(config, endpoint, keys);
    }

    /** Verifies the token and returns its claims. */
    JWTClaimsSet verify(String token) throws AuthRejection {
        SignedJWT jwt = parse(token);
        checkHeader(jwt.getHeader());
        try {
            jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw malformed();
        }
        VerificationContext context = new VerificationContext();
        try {
            return processor.process(jwt, context);
        } catch (Rejected r) {
            throw r.toRejection();
        } catch (RateLimitReachedException e) {
            // A refetch for an unknown kid was refused by the rate limit: with keys at hand the kid is
            // simply unknown; without any, the identity provider has not answered yet.
            throw keysLoaded.get() ? unknownKey(jwt.getHeader()) : unavailable();
        } catch (KeySourceException e) {
            LOG.warn("auth on endpoint '{}': the JWKS at {} could not be fetched and no keys are cached: {}",
                    endpointId, config.jwksUrl(), e.getMessage());
            throw unavailable();
        } catch (BadJOSEException | JOSEException e) {
            throw context.keysFound() == 0 ? unknownKey(jwt.getHeader()) : badSignature(jwt.getHeader());
        }
    }

    private SignedJWT parse(String token) throws AuthRejection {
        JWT parsed;
        try {
            parsed = JWTParser.parse(token);
        } catch (ParseException e) {
            throw malformed();
        }
        if (parsed instanceof PlainJWT) {
            throw AuthRejection.invalidToken("alg-not-allowed", "the token is unsigned (alg none); this endpoint"
                    + " accepts only tokens signed with " + acceptedAlgorithms);
        }
        if (!(parsed instanceof SignedJWT jwt)) {
            throw AuthRejection.invalidToken("malformed",
                    "the token is encrypted (JWE); this endpoint accepts only signed access tokens (JWS)");
        }
        return jwt;
    }

    private void checkHeader(JWSHeader header) throws AuthRejection {
        String alg = header.getAlgorithm().getName();
        if (!config.algorithms().contains(alg)) {
            throw AuthRejection.invalidToken("alg-not-allowed", "the token is signed with " + AuthRejection.safe(alg)
                    + "; this endpoint accepts only " + acceptedAlgorithms + " (auth.algorithms)");
        }
        if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
            String crit = header.getCriticalParams().stream().sorted().map(AuthRejection::safe).limit(5)
                    .collect(Collectors.joining(", "));
            throw AuthRejection.invalidToken("unsupported-crit", "the token marks header parameters as critical ("
                    + crit + "); this endpoint understands none, so it cannot accept the token");
        }
        String typeProblem = typeProblem(header.getType());
        if (typeProblem != null) {
            throw AuthRejection.invalidToken("wrong-type", typeProblem);
        }
    }

    /** Header {@code typ}: absent, {@code JWT} or {@code at+jwt} (RFC 9068), compared case-insensitively. */
    private static String typeProblem(JOSEObjectType type) {
        if (type == null || ACCEPTED_TYPES.contains(type.getType().toLowerCase(Locale.ROOT))) {
            return null;
        }
        return "the token has type " + AuthRejection.safe(type.getType())
                + "; this endpoint accepts only access tokens of type JWT or at+jwt";
    }

    /** The same rule inside Nimbus, as a second line. */
    private static final JOSEObjectTypeVerifier<VerificationContext> TYPE_VERIFIER = (type, context) -> {
        String problem = typeProblem(type);
        if (problem != null) {
            throw new Rejected("wrong-type", problem);
        }
    };

    static AuthRejection malformed() {
        return AuthRejection.invalidToken("malformed", "the token is not a well-formed signed JWT;"
                + " send the access token your identity provider issued");
    }

    private static AuthRejection unknownKey(JWSHeader header) {
        String kid = header.getKeyID();
        String key = kid == null ? "the token names no key id (kid) and no key of the identity provider fits it"
                : "the signing key of the token (kid " + AuthRejection.safe(kid) + ") is not one of the keys of"
                        + " the identity provider";
        return AuthRejection.invalidToken("unknown-key", key + "; get a new token");
    }

    private AuthRejection badSignature(JWSHeader header) {
        String kid = header.getKeyID() == null ? "" : " (kid " + AuthRejection.safe(header.getKeyID()) + ")";
        return AuthRejection.invalidToken("bad-signature", "the signature of the token does not verify with the"
                + " key of the identity provider" + kid + "; the token was altered or not issued by " + config.issuer());
    }

    private static AuthRejection unavailable() {
        return AuthRejection.unavailable("the signing keys of the identity provider could not be fetched and none"
                + " are cached, so no token can be verified; try again shortly");
    }

    @Override
    public void close() {
        if (keys instanceof Closeable closeable) {
            try {
                closeable.close();
            } catch (IOException e) {
                LOG.debug("auth on endpoint '{}': closing the key source failed", endpointId, e);
            }
        }
    }
}
