package io.gatehouse.processors.policy;

import com.google.protobuf.Timestamp;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayRequest;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a policy decision reads about a request: its endpoint, head, body size and the operation the
 * protocol adapter parsed. Immutable.
 *
 * @param endpoint  the endpoint id
 * @param method    upper-case HTTP method
 * @param path      the path without query
 * @param query     the raw query, or empty
 * @param headers   lower-case header name to its first value
 * @param bodyBytes the body's size
 * @param clientIp  the caller's address, or empty
 * @param operation what the adapter parsed
 * @param time      when the decision is made
 */
public record RequestFacts(String endpoint, String method, String path, String query, Map<String, String> headers,
                           long bodyBytes, String clientIp, Operation operation, Instant time) {

    public RequestFacts {
        headers = Map.copyOf(headers);
        query = query == null ? "" : query;
        clientIp = clientIp == null ? "" : clientIp;
    }

    /** The facts of a live exchange. */
    static RequestFacts of(GatewayExchange exchange, Instant now) {
        GatewayRequest r = exchange.request();
        Map<String, String> headers = new LinkedHashMap<>();
        for (String name : r.headers().names()) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!lower.equals("authorization") && !lower.equals("cookie")) {
                r.headers().first(name).ifPresent(v -> headers.putIfAbsent(lower, v));
            }
        }
        String ip = r.clientAddress() == null || r.clientAddress().getAddress() == null ? ""
                : r.clientAddress().getAddress().getHostAddress();
        return new RequestFacts(exchange.endpointId(), r.method(), r.path(), r.query(), headers, r.body().length, ip,
                exchange.operation(), now);
    }

    /** The same request, asking for another operation on another model (for listing the models a caller may use). */
    RequestFacts withOperation(Operation other) {
        return new RequestFacts(endpoint, method, path, query, headers, bodyBytes, clientIp, other, time);
    }

    /** The CEL variables, each built when a condition first reads it, then kept for the decision. */
    dev.cel.runtime.CelVariableResolver resolver(Identity identity) {
        Map<String, Object> built = new java.util.HashMap<>(4);
        return name -> java.util.Optional.ofNullable(built.computeIfAbsent(name, n -> switch (n) {
            case "identity" -> identityMap(identity);
            case "request" -> requestMap();
            case "operation" -> operationMap();
            case "time" -> Timestamp.newBuilder().setSeconds(time.getEpochSecond()).setNanos(time.getNano()).build();
            default -> null;
        }));
    }

    private Map<String, Object> requestMap() {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("endpoint", endpoint);
        request.put("method", method);
        request.put("path", path);
        request.put("query", query);
        request.put("headers", headers);
        request.put("bodyBytes", bodyBytes);
        request.put("clientIp", clientIp);
        return request;
    }

    private Map<String, Object> operationMap() {
        Map<String, Object> op = new LinkedHashMap<>();
        op.put("protocol", operation.protocol());
        op.put("kind", operation.kind().configName());
        if (operation.model() != null) {
            op.put("model", operation.model());
        }
        op.put("stream", operation.stream());
        op.put("batch", (long) operation.batch());
        if (operation.maxTokens().isPresent()) {
            op.put("maxTokens", (long) operation.maxTokens().getAsInt());
        }
        return op;
    }

    private static Map<String, Object> identityMap(Identity identity) {
        Map<String, Object> id = new LinkedHashMap<>();
        if (identity == null) {
            id.put("groups", List.of());
            id.put("roles", List.of());
            id.put("claims", Map.of());
            return id;
        }
        putIfPresent(id, "subject", identity.subject());
        putIfPresent(id, "username", identity.username());
        putIfPresent(id, "issuer", identity.issuer());
        putIfPresent(id, "clientId", identity.clientId());
        id.put("groups", identity.groups().stream().sorted().toList());
        id.put("roles", identity.roles().stream().sorted().toList());
        putIfPresent(id, "acr", identity.acr());
        id.put("amr", identity.amr());
        if (identity.authTime() != null) {
            id.put("authTime", identity.authTime().getEpochSecond());
        }
        if (identity.issuedAt() != null) {
            id.put("issuedAt", identity.issuedAt().getEpochSecond());
        }
        id.put("claims", celValue(identity.claims()));
        return id;
    }

    private static void putIfPresent(Map<String, Object> map, String key, Object value) {
        if (value != null) {
            map.put(key, value);
        }
    }

    /** JSON-like values as CEL wants them: integers as long, no nulls. */
    static Object celValue(Object value) {
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> {
                Object c = celValue(v);
                if (k != null && c != null) {
                    out.put(k.toString(), c);
                }
            });
            return out;
        }
        if (value instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            for (Object v : l) {
                Object c = celValue(v);
                if (c != null) {
                    out.add(c);
                }
            }
            return out;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof Float f) {
            return f.doubleValue();
        }
        if (value instanceof java.math.BigInteger || value instanceof java.math.BigDecimal) {
            return ((Number) value).doubleValue();
        }
        if (value instanceof Instant i) {
            return i.getEpochSecond();
        }
        return value;
    }
}
