package io.gatehouse.processors.auth;

import io.gatehouse.spi.ConfigException;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * One trusted identity provider, under {@code identity.providers.<name>} in {@code gateway.yaml}.
 * Only {@code issuer} and {@code audiences} are required; the rest defaults to what Keycloak needs.
 *
 * <pre>{@code
 * identity:
 *   providers:
 *     keycloak:
 *       issuer: https://sso.example/realms/gatehouse
 *       audiences: [gatehouse]
 * }</pre>
 *
 * <p>Keys are found through OIDC discovery ({@code <issuer>/.well-known/openid-configuration},
 * whose {@code issuer} must equal this one exactly) unless {@code jwksUri} names them. A token is
 * verified by the provider whose issuer equals its {@code iss}, with that provider's keys only.
 *
 * @param issuer        the exact {@code iss} of its tokens (case-sensitive, no normalising)
 * @param audiences     a token must carry at least one of these in {@code aud}; a token without
 *                      {@code aud} is refused. Always a list: {@code audiences: [gatehouse]}
 * @param jwksUri       where its keys are, when discovery is not to be used
 * @param algorithms    accepted signature algorithms; default RS256, PS256, ES256. {@code none} and the
 *                      HMAC family are refused at load
 * @param clockSkew     tolerance on {@code exp}, {@code nbf}, {@code iat} and the age limits; default 30s, at most 5m
 * @param tokenTypes    when set, the header {@code typ} must be one of these (e.g. {@code [at+jwt]});
 *                      by default it may be absent, {@code JWT} or {@code at+jwt}
 * @param maxTokenAge   oldest token accepted, from {@code iat}, even when {@code exp} is further away
 * @param maxAuthAge    oldest sign-in accepted, from {@code auth_time}
 * @param claims        where subject, username, groups and roles are; Keycloak's by default
 * @param jwks          key cache, refresh and outage settings
 * @param introspection accept opaque tokens of this provider through RFC 7662 introspection
 */
public record ProviderConfig(String issuer, List<String> audiences, URI jwksUri, Set<String> algorithms,
                             Duration clockSkew, Set<String> tokenTypes, Duration maxTokenAge, Duration maxAuthAge,
                             ClaimsConfig claims, JwksConfig jwks, IntrospectionConfig introspection) {

    /** Algorithms a provider may use: asymmetric signatures only. */
    public static final Set<String> SUPPORTED_ALGORITHMS = sorted(Set.of(
            "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"));
    public static final Set<String> DEFAULT_ALGORITHMS = sorted(Set.of("RS256", "PS256", "ES256"));
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
    private static final String EXPECTED_ALGORITHMS = "(expected: any of " + String.join(", ", SUPPORTED_ALGORITHMS)
            + ")";

    public ProviderConfig {
        if (issuer == null || issuer.isBlank()) {
            throw new ConfigException("issuer", "is required: the exact iss value of the provider's tokens, e.g."
                    + " https://sso.example/realms/gatehouse");
        }
        URI issuerUrl;
        try {
            issuerUrl = URI.create(issuer);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("issuer", "'" + issuer + "' is not a URL (expected e.g."
                    + " https://sso.example/realms/gatehouse)");
        }
        Checks.httpUrl("issuer", issuerUrl, "https://sso.example/realms/gatehouse");
        if (issuerUrl.getRawQuery() != null) {
            throw new ConfigException("issuer", "must not have a query (OpenID Connect Discovery), got '" + issuer + "'");
        }
        if (audiences == null || audiences.isEmpty()) {
            throw new ConfigException("audiences", "must name at least one audience: the aud value the provider puts"
                    + " in tokens meant for this gateway (Keycloak: an audience mapper), e.g. audiences: [gatehouse]");
        }
        audiences = Checks.nonBlank("audiences", audiences);
        if (jwksUri != null) {
            Checks.httpUrl("jwksUri", jwksUri, "https://sso.example/realms/gatehouse/protocol/openid-connect/certs");
        }
        algorithms = algorithms == null ? DEFAULT_ALGORITHMS : checkAlgorithms(algorithms);
        clockSkew = Checks.duration("clockSkew", clockSkew, DEFAULT_CLOCK_SKEW, Duration.ZERO, Duration.ofMinutes(5));
        if (tokenTypes != null && tokenTypes.isEmpty()) {
            throw new ConfigException("tokenTypes", "must name at least one type when given, e.g. [at+jwt]");
        }
        tokenTypes = Checks.names("tokenTypes", tokenTypes);
        maxTokenAge = Checks.duration("maxTokenAge", maxTokenAge, null, Requirements.MIN_AGE, Requirements.MAX_AGE);
        maxAuthAge = Checks.duration("maxAuthAge", maxAuthAge, null, Requirements.MIN_AGE, Requirements.MAX_AGE);
        claims = claims == null ? ClaimsConfig.keycloak() : claims;
        jwks = jwks == null ? JwksConfig.defaults() : jwks;
    }

    /** The required components only; every other one takes its default. */
    public static ProviderConfig of(String issuer, String... audiences) {
        return new ProviderConfig(issuer, List.of(audiences), null, null, null, null, null, null, null, null, null);
    }

    /** Where discovery reads this provider's metadata. */
    URI discoveryUrl() {
        String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
        return URI.create(base + "/.well-known/openid-configuration");
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
