package io.gatehouse.processors.auth;

import com.nimbusds.jwt.JWTClaimsSet;
import io.gatehouse.spi.Identity;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns verified claims into an {@link Identity}, by the provider's {@link ClaimsConfig}:
 * <ul>
 *   <li>groups: a list of strings; with {@code groupNames: name} a Keycloak full path
 *       ({@code /org/analysts}) keeps its last segment ({@code analysts});</li>
 *   <li>roles: each configured path; under a {@code *} segment roles are named {@code <key>:<role>};</li>
 *   <li>a groups or roles claim of the wrong shape, or a group name with control or invisible
 *       characters, rejects the token: a policy must never see half a list or a look-alike name.</li>
 * </ul>
 * Thread-safe.
 */
final class IdentityMapper {

    private final ClaimsConfig claims;

    IdentityMapper(ClaimsConfig claims) {
        this.claims = claims;
    }

    Identity map(JWTClaimsSet set) throws AuthRejection {
        Map<String, Object> all = set.getClaims();
        String subject = (String) resolve(all, claims.subject());
        String username = string(resolve(all, claims.username()));
        if (username == null) {
            username = string(all.get("username")); // RFC 7662 introspection answers
        }
        String clientId = string(all.get("azp")) != null ? string(all.get("azp")) : string(all.get("client_id"));
        Object acr = all.get("acr");
        Date exp = set.getExpirationTime();
        return new Identity(subject, username == null || username.isBlank() ? subject : username,
                set.getIssuer(), clientId, groups(lookup(all, claims.groups())), roles(all),
                acr instanceof String || acr instanceof Number ? acr.toString() : null,
                amr(all.get("amr")), instant(set.getIssueTime()), epochSeconds(all.get("auth_time")),
                exp.toInstant(), string(all.get("sid")), allClaims(set));
    }

    /** The value at a claim name, or else at a dotted path through nested objects; null when absent. */
    static Object resolve(Map<String, Object> claims, String path) {
        if (claims.containsKey(path)) {
            return claims.get(path);
        }
        Object current = claims;
        for (String segment : path.split("\\.")) {
            if (!(current instanceof Map<?, ?> map)) {
                return null;
            }
            current = map.get(segment);
        }
        return current;
    }

    /**
     * Like {@link #resolve}, but a path through a value that is not an object is a malformed claim: a
     * {@code realm_access} that is a string must not read as "no roles".
     */
    static Object lookup(Map<String, Object> claims, String path) throws AuthRejection {
        if (claims.containsKey(path)) {
            return claims.get(path);
        }
        Object current = claims;
        String walked = "";
        for (String segment : path.split("\\.")) {
            if (current == null) {
                return null;
            }
            if (!(current instanceof Map<?, ?> map)) {
                throw malformedClaim("the " + AuthRejection.safe(walked) + " claim of the token is not an object;"
                        + " fix the mapper of that claim at the identity provider");
            }
            current = map.get(segment);
            walked = walked.isEmpty() ? segment : walked + "." + segment;
        }
        return current;
    }

    private Set<String> groups(Object value) throws AuthRejection {
        Set<String> groups = new LinkedHashSet<>();
        for (String name : strings(value, claims.groups())) {
            if (hasInvisibleCharacters(name)) {
                throw malformedClaim("the " + AuthRejection.safe(claims.groups()) + " claim of the token holds a name"
                        + " with control or invisible characters; fix the group names at the identity provider");
            }
            String group = claims.groupNames() == ClaimsConfig.GroupNames.NAME && name.startsWith("/")
                    ? name.substring(name.lastIndexOf('/') + 1) : name;
            if (!group.isBlank()) {
                groups.add(group);
            }
        }
        return groups;
    }

    private Set<String> roles(Map<String, Object> all) throws AuthRejection {
        Set<String> roles = new LinkedHashSet<>();
        for (String path : claims.roles()) {
            List<String> segments = List.of(path.split("\\."));
            int star = segments.indexOf("*");
            if (star < 0) {
                roles.addAll(strings(lookup(all, path), path));
                continue;
            }
            String prefix = String.join(".", segments.subList(0, star));
            List<String> suffix = segments.subList(star + 1, segments.size());
            Object container = prefix.isEmpty() ? all : lookup(all, prefix);
            for (Map.Entry<String, Object> entry : object(container, prefix).entrySet()) {
                Object value = entry.getValue();
                for (String segment : suffix) {
                    value = object(value, prefix + "." + entry.getKey()).get(segment);
                }
                for (String role : strings(value, path)) {
                    roles.add(entry.getKey() + ":" + role);
                }
            }
        }
        return roles;
    }

    private static List<String> amr(Object value) throws AuthRejection {
        return value instanceof String single ? List.of(single) : strings(value, "amr");
    }

    /** A list of strings, or nothing when absent. */
    private static List<String> strings(Object value, String claim) throws AuthRejection {
        if (value == null) {
            return List.of();
        }
        if (value instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
            return list.stream().map(String.class::cast).toList();
        }
        throw malformedClaim("the " + AuthRejection.safe(claim) + " claim of the token is not a list of strings;"
                + " fix the mapper of that claim at the identity provider");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object value, String claim) throws AuthRejection {
        if (value == null) {
            return Map.of();
        }
        if (value instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw malformedClaim("the " + AuthRejection.safe(claim) + " claim of the token is not an object;"
                + " fix the mapper of that claim at the identity provider");
    }

    private static boolean hasInvisibleCharacters(String name) {
        return name.codePoints().anyMatch(c -> Character.isISOControl(c) || Character.getType(c) == Character.FORMAT);
    }

    private static AuthRejection malformedClaim(String detail) {
        return AuthRejection.invalidToken("malformed-claim", detail);
    }

    private static String string(Object value) {
        return value instanceof String s ? s : null;
    }

    private static Instant instant(Date date) {
        return date == null ? null : date.toInstant();
    }

    private static Instant epochSeconds(Object value) {
        return value instanceof Number n ? Instant.ofEpochSecond(n.longValue()) : null;
    }

    /** The claims as JSON values (times as epoch seconds), deeply unmodifiable; top-level nulls dropped. */
    private static Map<String, Object> allClaims(JWTClaimsSet claims) {
        Map<String, Object> all = new HashMap<>();
        claims.toJSONObject().forEach((name, value) -> {
            if (value != null) {
                all.put(name, freeze(value));
            }
        });
        return all;
    }

    private static Object freeze(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put(String.valueOf(k), freeze(v)));
            return Collections.unmodifiableMap(copy);
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            list.forEach(v -> copy.add(freeze(v)));
            return Collections.unmodifiableList(copy);
        }
        return value;
    }
}
