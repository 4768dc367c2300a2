package io.gatehouse.processors.auth;

import io.gatehouse.spi.ConfigException;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where an identity provider puts who the caller is. Every default fits Keycloak. A claim is named by
 * a dotted path into the token's JSON ({@code realm_access.roles}); in a role path one segment may be
 * {@code *}, meaning every key at that level, and the roles found there are named
 * {@code <key>:<role>} ({@code resource_access.*.roles} gives {@code chat-cli:admin}), so that a
 * client's {@code admin} is never the realm's {@code admin}.
 *
 * @param subject    the stable caller id; default {@code sub}
 * @param username   a readable name; default {@code preferred_username} (then {@code username}, then the subject)
 * @param groups     a list of group names; default {@code groups}
 * @param groupNames {@code name} (default): a Keycloak full path {@code /org/analysts} becomes
 *                   {@code analysts}, so the mapper's "full group path" setting does not matter;
 *                   {@code path}: kept as written, for realms where nested groups share names
 * @param roles      role lists; default {@code [realm_access.roles, resource_access.*.roles]}
 */
public record ClaimsConfig(String subject, String username, String groups, GroupNames groupNames, List<String> roles) {

    /** How group names are read. */
    public enum GroupNames { NAME, PATH }

    static final List<String> DEFAULT_ROLES = List.of("realm_access.roles", "resource_access.*.roles");
    private static final Pattern PATH = Pattern.compile("[^.\\s]+(\\.[^.\\s]+)*");

    public ClaimsConfig {
        subject = path("subject", subject, "sub", false);
        username = path("username", username, "preferred_username", false);
        groups = path("groups", groups, "groups", false);
        groupNames = groupNames == null ? GroupNames.NAME : groupNames;
        roles = roles == null ? DEFAULT_ROLES : roles;
        for (String role : roles) {
            path("roles", role, null, true);
            String[] segments = role.split("\\.");
            long wildcards = java.util.Arrays.stream(segments).filter(seg -> seg.contains("*")).count();
            if (java.util.Arrays.stream(segments).anyMatch(seg -> seg.contains("*") && !seg.equals("*"))
                    || wildcards > 1) {
                throw new ConfigException("roles", "'" + role + "' may hold one '*', as a whole segment"
                        + " (e.g. resource_access.*.roles)");
            }
        }
        roles = List.copyOf(roles);
    }

    /** Every default: Keycloak's claims. */
    public static ClaimsConfig keycloak() {
        return new ClaimsConfig(null, null, null, null, null);
    }

    private static String path(String field, String value, String defaultValue, boolean wildcard) {
        String p = value == null ? defaultValue : value;
        if (p == null || !PATH.matcher(p).matches()) {
            throw new ConfigException(field, "'" + p + "' is not a claim path (expected a name or a dotted path like"
                    + " realm_access.roles)");
        }
        if (!wildcard && p.contains("*")) {
            throw new ConfigException(field, "'" + p + "' may not use '*'; only role paths may");
        }
        return p;
    }
}
