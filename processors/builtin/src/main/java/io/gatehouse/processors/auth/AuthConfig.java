package io.gatehouse.processors.auth;

import io.gatehouse.processors.support.Durations;
import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.ConfigException;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Config of the {@code auth} step: which tokens this endpoint accepts. Components left out take
 * their default; {@code jwksUrl}, {@code issuer} and {@code audiences} are required.
 *
 * <pre>{@code
 * - auth:
 *     jwksUrl: https://idp.example/realms/ml/protocol/openid-connect/certs
 *     issuer: https://idp.example/realms/ml
 *     audiences: [chat-llama]
 * }</pre>
 *
 * @param jwksUrl             the identity provider's JSON Web Key Set; the only place keys come from
 *                            (a token's {@code jku}, {@code x5u}, {@code jwk}, {@code x5c} are ignored)
 * @param issuer              the exact {@code iss} of accepted tokens (case-sensitive, no normalising)
 * @param audiences           accepted {@code aud} values: a token must carry at least one. Always a list,
 *                            even for one value ({@code audiences: [chat]}); there is no singular key
 * @param algorithms          accepted signature algorithms; default RS256, PS256, ES256. {@code none}
 *                            and the HMAC family ({@code HS*}) are refused at load
 * @param clockSkew           tolerance on {@code exp}, {@code nbf} and {@code iat}; default 30s, at most 5m
 * @param maxTokenBytes       largest token accepted; default 16KiB
 * @param jwksRefreshInterval minimum time between two JWKS fetches caused by unknown key ids (one
 *                            extra fetch per interval at most); default 60s, shorter than the cache TTL
 * @param jwksCacheTtl        how long fetched keys are used before a refetch; default 10m. While the
 *                            identity provider is unreachable, known keys stay usable one hour longer
 * @param groupsClaim         the claim holding the caller's groups; default {@code groups}
 */
public record AuthConfig(URI jwksUrl, String issuer, List<String> audiences, Set<String> algorithms,
                         Duration clockSkew, ByteSize maxTokenBytes, Duration jwksRefreshInterval,
                         Duration jwksCacheTtl, String groupsClaim) {

    /** Algorithms an endpoint may accept: asymmetric signatures only. */
    public static final Set<String> SUPPORTED_ALGORITHMS = sorted(Set.of(
            "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"));
    public static final Set<String> DEFAULT_ALGORITHMS = sorted(Set.of("RS256", "PS256", "ES256"));
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
    public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);
    public static final ByteSize DEFAULT_MAX_TOKEN_BYTES = ByteSize.ofBytes(16 * 1024);
    public static final Duration DEFAULT_JWKS_REFRESH_INTERVAL = Duration.ofSeconds(60);
    public static final Duration DEFAULT_JWKS_CACHE_TTL = Duration.ofMinutes(10);
    public static final String DEFAULT_GROUPS_CLAIM = "groups";

    private static final String EXPECTED_ALGORITHMS = "(expected: any of " + String.join(", ", SUPPORTED_ALGORITHMS)
            + ")";

    public AuthConfig {
        checkJwksUrl(jwksUrl);
        if (issuer == null || issuer.isBlank()) {
            throw new ConfigException("issuer",
                    "is required: the exact iss value of the tokens this endpoint accepts, e.g. https://idp.example/realms/ml");
        }
        audiences = checkAudiences(audiences);
        algorithms = algorithms == null ? DEFAULT_ALGORITHMS : checkAlgorithms(algorithms);
        clockSkew = clockSkew == null ? DEFAULT_CLOCK_SKEW : clockSkew;
        if (clockSkew.isNegative() || clockSkew.compareTo(MAX_CLOCK_SKEW) > 0) {
            throw new ConfigException("clockSkew", "must be between 0s and 5m, got " + Durations.format(clockSkew));
        }
        maxTokenBytes = maxTokenBytes == null ? DEFAULT_MAX_TOKEN_BYTES : maxTokenBytes;
        if (maxTokenBytes.bytes() < 1024 || maxTokenBytes.bytes() > 1024 * 1024) {
            throw new ConfigException("maxTokenBytes", "must be between 1024 and 1048576 bytes, got " + maxTokenBytes);
        }
        jwksCacheTtl = jwksCacheTtl == null ? DEFAULT_JWKS_CACHE_TTL : jwksCacheTtl;
        if (jwksCacheTtl.compareTo(Duration.ofMinutes(1)) < 0 || jwksCacheTtl.compareTo(Duration.ofHours(24)) > 0) {
            throw new ConfigException("jwksCacheTtl", "must be between 1m and 24h, got " + Durations.format(jwksCacheTtl));
        }
        jwksRefreshInterval = jwksRefreshInterval == null ? DEFAULT_JWKS_REFRESH_INTERVAL : jwksRefreshInterval;
        if (jwksRefreshInterval.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new ConfigException("jwksRefreshInterval",
                    "must be at least 1s, got " + Durations.format(jwksRefreshInterval));
        }
        if (jwksRefreshInterval.compareTo(jwksCacheTtl) >= 0) {
            throw new ConfigException("jwksRefreshInterval", "must be shorter than jwksCacheTtl ("
                    + Durations.format(jwksCacheTtl) + "), got " + Durations.format(jwksRefreshInterval));
        }
        groupsClaim = groupsClaim == null ? DEFAULT_GROUPS_CLAIM : groupsClaim;
        if (groupsClaim.isBlank()) {
            throw new ConfigException("groupsClaim", "must not be blank");
        }
    }

    /** The required components only; every other one takes its default. */
    public static AuthConfig of(URI jwksUrl, String issuer, String... audiences) {
        return new AuthConfig(jwksUrl, issuer, List.of(audiences), null, null, null, null, null, null);
    }

    private static void checkJwksUrl(URI url) {
        if (url == null) {
            throw new ConfigException("jwksUrl", "is required: the URL of the identity provider's JSON Web Key Set,"
                    + " e.g. https://idp.example/realms/ml/protocol/openid-connect/certs");
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!url.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
            throw new ConfigException("jwksUrl", "must be an absolute http or https URL, got '" + url + "'");
        }
    }

    private static List<String> checkAudiences(List<String> audiences) {
        if (audiences == null || audiences.isEmpty()) {
            throw new ConfigException("audiences",
                    "must name at least one audience: the aud value a token for this endpoint carries");
        }
        for (String audience : audiences) {
            if (audience == null || audience.isBlank()) {
                throw new ConfigException("audiences", "must not contain a blank audience");
            }
        }
        return List.copyOf(audiences);
    }

    private static Set<String> checkAlgorithms(Set<String> algorithms) {
        if (algorithms.isEmpty()) {
            throw new ConfigException("algorithms", "must name at least one algorithm " + EXPECTED_ALGORITHMS);
        }
        for (String alg : algorithms) {
            String name = String.valueOf(alg);
            if (name.equalsIgnoreCase("none")) {
                throw new ConfigException("algorithms",
                        "'" + name + "' is not allowed: unsigned tokens are never accepted " + EXPECTED_ALGORITHMS);
            }
            if (name.toUpperCase(Locale.ROOT).startsWith("HS")) {
                throw new ConfigException("algorithms", "'" + name + "' is not allowed: with a shared-secret (HMAC)"
                        + " algorithm whoever can verify a token can also forge one " + EXPECTED_ALGORITHMS);
            }
            if (!SUPPORTED_ALGORITHMS.contains(name)) {
                throw new ConfigException("algorithms",
                        "'" + name + "' is not a supported signature algorithm " + EXPECTED_ALGORITHMS);
            }
        }
        return sorted(algorithms);
    }

    private static Set<String> sorted(Set<String> values) {
        return Collections.unmodifiableSet(new TreeSet<>(values));
    }
}
