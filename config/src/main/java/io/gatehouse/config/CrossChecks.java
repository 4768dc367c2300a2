package io.gatehouse.config;

import io.gatehouse.config.ConfigLoader.EndpointPart;
import io.gatehouse.config.ConfigLoader.GatewayPart;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * Checks across files: names that endpoints reference, ids and routes that must be unique, ports
 * that must not collide. Names are read from the raw {@code gateway.yaml} maps, so an endpoint is
 * still checked while gateway.yaml has unrelated errors.
 */
final class CrossChecks {

    private CrossChecks() {
    }

    static void check(GatewayPart gateway, List<EndpointPart> endpoints, List<ConfigError> errors) {
        ports(gateway, errors);
        Optional<List<String>> listeners = names(gateway, "listeners");
        Optional<List<String>> agents = names(gateway, "agents");
        Map<String, EndpointPart> byId = new HashMap<>();
        Map<String, EndpointPart> byRoute = new HashMap<>();
        for (EndpointPart endpoint : endpoints) {
            EndpointYaml e = endpoint.yaml();
            if (e == null) {
                continue;
            }
            Where where = Where.root("endpoint " + Nodes.quote(e.id()));
            EndpointPart sameId = byId.putIfAbsent(e.id(), endpoint);
            if (sameId != null) {
                error(errors, endpoint, where.field("id"), "id " + Nodes.quote(e.id()) + " is already used by " + sameId.file(), "id");
            }
            unknown(errors, endpoint, where.field("listener"), "listener", e.listener(), listeners, "listener");
            unknown(errors, endpoint, where.field("target.agent"), "agent", e.target().agent(), agents, "target", "agent");
            EndpointPart sameRoute = byRoute.putIfAbsent(e.listener() + " " + e.path(), endpoint);
            if (sameRoute != null) {
                error(errors, endpoint, where.field("path"), "endpoints " + Nodes.quote(sameRoute.yaml().id())
                        + " (" + sameRoute.file() + ") and " + Nodes.quote(e.id()) + " (" + endpoint.file()
                        + ") both serve path " + Nodes.quote(e.path()) + " on listener " + Nodes.quote(e.listener()), "path");
            }
        }
    }

    /** A listener port that is the admin port or another listener's; port 0 (any free port) never collides. */
    private static void ports(GatewayPart gateway, List<ConfigError> errors) {
        if (gateway.yaml() == null) {
            return;
        }
        int admin = gateway.yaml().admin().port();
        Map<Integer, String> used = new HashMap<>();
        gateway.yaml().listeners().forEach((name, listener) -> {
            int port = listener.port();
            if (port == 0) {
                return;
            }
            String message = null;
            String other = used.putIfAbsent(port, name);
            if (port == admin) {
                message = "port " + port + " is also the admin port";
            } else if (other != null) {
                message = "port " + port + " is also used by listener " + Nodes.quote(other);
            }
            if (message != null) {
                Node at = Nodes.get(gateway.root(), "listeners", name, "port")
                        .or(() -> Nodes.get(gateway.root(), "listeners", name)).orElse(gateway.root());
                errors.add(new ConfigError(ConfigLoader.GATEWAY_FILE, Nodes.line(at), Nodes.column(at),
                        "listener " + Nodes.quote(name) + " field 'port'", message));
            }
        });
    }

    private static Optional<List<String>> names(GatewayPart gateway, String map) {
        return Optional.ofNullable(gateway.root())
                .flatMap(root -> Nodes.get(root, map))
                .flatMap(Nodes::keys)
                .map(names -> names.stream().sorted().toList())
                .filter(names -> !names.isEmpty());
    }

    private static void unknown(List<ConfigError> errors, EndpointPart endpoint, Where where, String noun,
                                String name, Optional<List<String>> known, String... keys) {
        known.filter(names -> !names.contains(name)).ifPresent(names -> error(errors, endpoint, where,
                "unknown " + noun + " " + Nodes.quote(name) + " (known " + noun + "s: " + String.join(", ", names) + ")", keys));
    }

    private static void error(List<ConfigError> errors, EndpointPart endpoint, Where where, String message, String... keys) {
        Node at = Nodes.get(endpoint.root(), keys).orElse(endpoint.root());
        errors.add(new ConfigError(endpoint.file(), Nodes.line(at), Nodes.column(at), where.text(), message));
    }
}
