package io.gatehouse.gateway.reload;

import io.gatehouse.config.GatewayConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * What a reload cannot change: the keys of {@code gateway.yaml} that set up listeners, the admin port
 * and its auth, the store, the data and plugins directories, the agent connections and whether the
 * directory is watched. A reload that changes any of them is refused whole, naming each key; nothing
 * else of it is applied (a half-applied config would be a config nobody wrote).
 */
public final class RestartKeys {

    private RestartKeys() {
    }

    /** The changed keys that need a restart, e.g. {@code listeners.http}, {@code store}; empty when none. */
    public static List<String> changed(GatewayConfig running, GatewayConfig next) {
        List<String> keys = new ArrayList<>();
        mapKeys("listeners", running.listeners(), next.listeners(), keys);
        if (!running.admin().equals(next.admin())) {
            keys.add("admin");
        }
        if (!running.store().equals(next.store())) {
            keys.add("store");
        }
        if (!running.dataDirectory().equals(next.dataDirectory())) {
            keys.add("dataDirectory");
        }
        if (!running.pluginsDirectory().equals(next.pluginsDirectory())) {
            keys.add("plugins.directory");
        }
        mapKeys("agents", running.agents(), next.agents(), keys);
        if (!Objects.equals(running.agentTunnel(), next.agentTunnel())) {
            keys.add("agentTunnel"); // its listener is bound at start, like the endpoint listeners
        }
        if (!running.tracing().equals(next.tracing())) {
            keys.add("tracing"); // the OpenTelemetry SDK is built once, at start
        }
        if (running.lifecycle().watch() != next.lifecycle().watch()) {
            keys.add("reload.watch");
        }
        return keys;
    }

    private static void mapKeys(String prefix, Map<String, ?> running, Map<String, ?> next, List<String> keys) {
        TreeSet<String> names = new TreeSet<>(running.keySet());
        names.addAll(next.keySet());
        for (String name : names) {
            if (!Objects.equals(running.get(name), next.get(name))) {
                keys.add(prefix + "." + name);
            }
        }
    }

    /** The error lines of a refused reload, one per key, in the format of {@code config validate}. */
    public static List<String> errors(List<String> keys) {
        return keys.stream().map(k -> "gateway.yaml: field '" + k + "': changed, but it cannot change while the "
                + "gateway runs; restart the gateway to apply it (nothing of this reload was applied)").toList();
    }
}
