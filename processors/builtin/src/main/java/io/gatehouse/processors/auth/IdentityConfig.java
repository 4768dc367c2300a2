package io.gatehouse.processors.auth;

import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.ConfigException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code identity:} section of {@code gateway.yaml}, owned by the {@code auth} step: the identity
 * providers every endpoint shares, conditions on privileged groups, and limits that hold before any
 * token is parsed. Absent, it has no providers, and an {@code auth} step cannot be used.
 *
 * <pre>{@code
 * identity:
 *   providers:
 *     keycloak:
 *       issuer: http://127.0.0.1:8180/realms/gatehouse
 *       audiences: [gatehouse]
 *   groups:
 *     ml-leads:
 *       requireMfa: { amr: [otp] }
 * }</pre>
 *
 * @param providers     name to provider; names are lower-case letters, digits and dashes
 * @param groups        group name to the conditions its members' tokens must meet
 * @param maxTokenBytes the largest token looked at; default 16KiB
 * @param cacheSize     how many verified tokens are remembered (by SHA-256 of the token, each until its
 *                      {@code exp}), so a reused token costs a hash, not a signature check; default
 *                      10000, 0 turns the cache off
 * @param identityToken the token sent to model servers by endpoints with {@code forwardIdentity: true}
 */
public record IdentityConfig(Map<String, ProviderConfig> providers, Map<String, Requirements> groups,
                             ByteSize maxTokenBytes, Integer cacheSize, IdentityTokenConfig identityToken) {

    public static final ByteSize DEFAULT_MAX_TOKEN_BYTES = ByteSize.ofBytes(16 * 1024);
    public static final int DEFAULT_CACHE_SIZE = 10_000;
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]*");

    public IdentityConfig {
        providers = providers == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(providers));
        Map<String, String> byIssuer = new LinkedHashMap<>();
        for (Map.Entry<String, ProviderConfig> p : providers.entrySet()) {
            if (!NAME.matcher(p.getKey()).matches()) {
                throw new ConfigException("providers", "provider name '" + p.getKey() + "' must be lower-case letters,"
                        + " digits and dashes, starting with a letter");
            }
            String other = byIssuer.putIfAbsent(p.getValue().issuer(), p.getKey());
            if (other != null) {
                throw new ConfigException("providers", "providers '" + other + "' and '" + p.getKey()
                        + "' have the same issuer " + p.getValue().issuer() + "; a token is verified by the one"
                        + " provider whose issuer it names, so each issuer is configured once");
            }
        }
        groups = groups == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(groups));
        maxTokenBytes = Checks.size("maxTokenBytes", maxTokenBytes, DEFAULT_MAX_TOKEN_BYTES, 1024, 1024 * 1024);
        cacheSize = cacheSize == null ? DEFAULT_CACHE_SIZE : cacheSize;
        if (cacheSize < 0 || cacheSize > 1_000_000) {
            throw new ConfigException("cacheSize", "must be between 0 (off) and 1000000, got " + cacheSize);
        }
        identityToken = identityToken == null ? IdentityTokenConfig.defaults() : identityToken;
    }

    /** Just these providers; every other component takes its default. */
    public static IdentityConfig of(Map<String, ProviderConfig> providers) {
        return new IdentityConfig(providers, null, null, null, null);
    }
}
