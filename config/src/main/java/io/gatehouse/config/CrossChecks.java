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
            if (grpc(gateway, e.listener())) {
                grpcEndpoint(e, endpoint, where, byRoute, errors);
                continue;
            }
            if (e.path() == null) {
                error(errors, endpoint, where.field("path"), "is required (the path prefix this endpoint serves on"
                        + " HTTP listener " + Nodes.quote(e.listener()) + ", e.g. /v1)");
                continue;
            }
            if (!e.models().isEmpty() || e.serverCalls()) {
                error(errors, endpoint, where.field(e.models().isEmpty() ? "serverCalls" : "models"), "only endpoints"
                        + " on a gRPC listener are chosen by model; this one is on HTTP listener "
                        + Nodes.quote(e.listener()) + " and is chosen by its path", e.models().isEmpty() ? "serverCalls" : "models");
            }
            EndpointPart sameRoute = byRoute.putIfAbsent(e.listener() + " " + e.path(), endpoint);
            if (sameRoute != null) {
                error(errors, endpoint, where.field("path"), "endpoints " + Nodes.quote(sameRoute.yaml().id())
                        + " (" + sameRoute.file() + ") and " + Nodes.quote(e.id()) + " (" + endpoint.file()
                        + ") both serve path " + Nodes.quote(e.path()) + " on listener " + Nodes.quote(e.listener()), "path");
            }
        }
    }

    /** A gRPC endpoint is chosen by model: no path, kserve-v2, and each model (and server calls) served once per listener. */
    private static void grpcEndpoint(EndpointYaml e, EndpointPart endpoint, Where where, Map<String, EndpointPart> taken,
                                     List<ConfigError> errors) {
        String on = " on gRPC listener " + Nodes.quote(e.listener());
        if (e.path() != null) {
            error(errors, endpoint, where.field("path"), "an endpoint" + on + " is chosen by the model a call names,"
                    + " not by path: remove 'path' and list its 'models'", "path");
        }
        if (e.models().isEmpty() && !e.serverCalls()) {
            error(errors, endpoint, where.field("models"), "is required for an endpoint" + on + " (the models whose"
                    + " calls it serves, e.g. [demo-small] or [demo-*]; or serverCalls: true)", "id");
        }
        if (e.protocol() != Protocol.KSERVE_V2) {
            error(errors, endpoint, where.field("protocol"), "a gRPC listener serves inference.GRPCInferenceService:"
                    + " use protocol kserve-v2, got " + Nodes.quote(e.protocol().id()), "protocol");
        }
        for (String model : e.models()) {
            EndpointPart other = taken.putIfAbsent(e.listener() + " model " + model, endpoint);
            if (other != null) {
                error(errors, endpoint, where.field("models"), "model " + Nodes.quote(model) + " is also served by"
                        + " endpoint " + Nodes.quote(other.yaml().id()) + " (" + other.file() + ")" + on, "models");
            }
        }
        if (e.serverCalls()) {
            EndpointPart other = taken.putIfAbsent(e.listener() + " server-calls", endpoint);
            if (other != null) {
                error(errors, endpoint, where.field("serverCalls"), "endpoint " + Nodes.quote(other.yaml().id()) + " ("
                        + other.file() + ") already takes the server calls" + on, "serverCalls");
            }
        }
    }

    /** Whether the named listener is a gRPC one, read from the raw gateway.yaml. */
    private static boolean grpc(GatewayPart gateway, String listener) {
        return Optional.ofNullable(gateway.root())
                .flatMap(root -> Nodes.get(root, "listeners", listener, "protocol"))
                .flatMap(Nodes::text)
                .map(ListenerProtocol.GRPC.id()::equals)
                .orElse(false);
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
