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
 * Turns verified claims into an {@link Identity}.
 *
 * <ul>
 *   <li>groups: the configured claim, a list of strings; a Keycloak full path ({@code /org/analysts})
 *       keeps its last segment ({@code analysts});</li>
 *   <li>roles: {@code realm_access.roles} as they are, and {@code resource_access.<client>.roles} as
 *       {@code <client>:<role>}, so that a client's {@code admin} is not the realm's {@code admin};</li>
 *   <li>a groups or roles claim of the wrong shape, or a group name with control or invisible
 *       characters, rejects the token: a policy must never see half a list.</li>
 * </ul>
 */
final class IdentityMapper {

    private final String groupsClaim;

    IdentityMapper(String groupsClaim) {
        this.groupsClaim = groupsClaim;
    }

    Identity map(JWTClaimsSet claims) throws AuthRejection {
        String subject = claims.getSubject();
        String username = string(claims, "preferred_username");
        String clientId = string(claims, "azp") != null ? string(claims, "azp") : string(claims, "client_id");
        Object acr = claims.getClaim("acr");
        return new Identity(subject, username == null || username.isBlank() ? subject : username,
                claims.getIssuer(), clientId, groups(claims.getClaim(groupsClaim)), roles(claims),
                acr instanceof String || acr instanceof Number ? acr.toString() : null,
                amr(claims.getClaim("amr")), instant(claims.getIssueTime()), epochSeconds(claims.getClaim("auth_time")),
                claims.getExpirationTime().toInstant(), string(claims, "sid"), allClaims(claims));
    }

    private Set<String> groups(Object value) throws AuthRejection {
        Set<String> groups = new LinkedHashSet<>();
        for (String name : strings(value, groupsClaim)) {
            if (hasInvisibleCharacters(name)) {
                throw malformedClaim("the " + groupsClaim + " claim of the token holds a name with control or"
                        + " invisible characters; fix the group names at the identity provider");
            }
            String group = name.startsWith("/") ? name.substring(name.lastIndexOf('/') + 1) : name;
            if (!group.isBlank()) {
                groups.add(group);
            }
        }
        return groups;
    }

    private static Set<String> roles(JWTClaimsSet claims) throws AuthRejection {
        Set<String> roles = new LinkedHashSet<>();
        Object realm = claims.getClaim("realm_access");
        if (realm != null) {
            roles.addAll(strings(object(realm, "realm_access").get("roles"), "realm_access.roles"));
        }
        Object resources = claims.getClaim("resource_access");
        if (resources != null) {
            for (Map.Entry<String, Object> client : object(resources, "resource_access").entrySet()) {
                String path = "resource_access." + client.getKey() + ".roles";
                for (String role : strings(object(client.getValue(), path).get("roles"), path)) {
                    roles.add(client.getKey() + ":" + role);
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

    private static String string(JWTClaimsSet claims, String name) {
        return claims.getClaim(name) instanceof String s ? s : null;
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
