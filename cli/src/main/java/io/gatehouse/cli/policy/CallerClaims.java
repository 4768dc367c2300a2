package io.gatehouse.cli.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.config.YamlFiles;
import io.gatehouse.spi.Identity;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The caller of a dry run, from a token's claims as Keycloak writes them. */
public final class CallerClaims {

    private static final ObjectMapper JSON = new ObjectMapper();

    private CallerClaims() {
    }

    /** The claims a test case's caller stands for: its fields, then its free-form claims over them. */
    public static ObjectNode claims(TestCaller caller) {
        ObjectNode claims = JSON.createObjectNode();
        String sub = caller.subject() != null ? caller.subject() : caller.user();
        if (sub != null) {
            claims.put("sub", sub);
        }
        if (caller.user() != null) {
            claims.put("preferred_username", caller.user());
        }
        if (caller.groups() != null) {
            caller.groups().forEach(claims.putArray("groups")::add);
        }
        if (caller.roles() != null) {
            caller.roles().forEach(claims.putArray("roles")::add);
        }
        if (caller.amr() != null) {
            caller.amr().forEach(claims.putArray("amr")::add);
        }
        if (caller.client() != null) {
            claims.put("azp", caller.client());
        }
        if (caller.acr() != null) {
            claims.put("acr", caller.acr());
        }
        Object extra = YamlFiles.plain(caller.claims());
        if (extra != null) {
            if (!(extra instanceof Map<?, ?>)) {
                throw new IllegalArgumentException("caller claims must be a map, e.g. claims: {email: a@b.c}");
            }
            claims.setAll((ObjectNode) JSON.valueToTree(extra));
        }
        return claims;
    }

    /** Claims as Keycloak writes them; groups keep their last path segment, as the auth step does by default. */
    public static Identity identity(JsonNode claims) {
        if (claims == null || !claims.isObject()) {
            throw new IllegalArgumentException("the claims must be a JSON object");
        }
        String sub = claims.path("sub").asText(null);
        if (sub == null) {
            throw new IllegalArgumentException("the claims have no 'sub' (a caller needs a user or subject)");
        }
        Set<String> groups = new LinkedHashSet<>();
        claims.path("groups").forEach(g -> {
            String name = g.asText();
            groups.add(name.contains("/") ? name.substring(name.lastIndexOf('/') + 1) : name);
        });
        Set<String> roles = new LinkedHashSet<>();
        claims.path("roles").forEach(r -> roles.add(r.asText()));
        claims.path("realm_access").path("roles").forEach(r -> roles.add(r.asText()));
        claims.path("resource_access").forEach(client -> client.path("roles").forEach(r -> roles.add(r.asText())));
        List<String> amr = new ArrayList<>();
        claims.path("amr").forEach(a -> amr.add(a.asText()));
        String client = claims.path("azp").asText(claims.path("client_id").asText(null));
        @SuppressWarnings("unchecked")
        Map<String, Object> all = JSON.convertValue(claims, Map.class);
        return new Identity(sub, claims.path("preferred_username").asText(sub), claims.path("iss").asText(null), client,
                groups, roles, claims.path("acr").asText(null), amr, time(claims, "iat"), time(claims, "auth_time"),
                Optional.ofNullable(time(claims, "exp")).orElse(Instant.now().plusSeconds(300)),
                claims.path("sid").asText(null), all);
    }

    private static Instant time(JsonNode claims, String field) {
        JsonNode v = claims.path(field);
        return v.canConvertToLong() ? Instant.ofEpochSecond(v.asLong()) : null;
    }
}
