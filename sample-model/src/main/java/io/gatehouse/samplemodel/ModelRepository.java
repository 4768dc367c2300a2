package io.gatehouse.samplemodel;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gRPC side's model repository: the served models, each READY (the start) or UNAVAILABLE after
 * {@code RepositoryModelUnload}; {@code RepositoryModelLoad} makes it READY again. Every model has the
 * one version {@value #VERSION}. The HTTP side does not look at these states.
 */
final class ModelRepository {

    static final String VERSION = "1";
    static final String READY = "READY";
    static final String UNAVAILABLE = "UNAVAILABLE";

    private final List<String> names;
    private final Map<String, Boolean> ready = new ConcurrentHashMap<>();

    ModelRepository(List<String> names) {
        this.names = List.copyOf(names);
        names.forEach(n -> ready.put(n, true));
    }

    List<String> names() {
        return names;
    }

    /** The model's name; NOT_FOUND when this server does not serve it or not in that version. */
    String require(String name, String version) {
        if (!ready.containsKey(name)) {
            throw notFound(name);
        }
        if (!version.isEmpty() && !version.equals(VERSION)) {
            throw Status.NOT_FOUND.withDescription("model '" + name + "' has no version '" + version
                    + "'; its only version is " + VERSION).asRuntimeException();
        }
        return name;
    }

    /** {@link #require}, and FAILED_PRECONDITION when the model is unloaded. */
    String requireReady(String name, String version) {
        require(name, version);
        if (!isReady(name)) {
            throw Status.FAILED_PRECONDITION.withDescription("model '" + name
                    + "' is not loaded (RepositoryModelUnload unloaded it; RepositoryModelLoad loads it)").asRuntimeException();
        }
        return name;
    }

    boolean isReady(String name) {
        return Boolean.TRUE.equals(ready.get(name));
    }

    void setReady(String name, boolean value) {
        require(name, "");
        ready.put(name, value);
    }

    String state(String name) {
        return isReady(name) ? READY : UNAVAILABLE;
    }

    /** Name to state, in the configured order. */
    Map<String, Object> states() {
        Map<String, Object> states = new LinkedHashMap<>();
        names.forEach(n -> states.put(n, state(n)));
        return states;
    }

    private StatusRuntimeException notFound(String name) {
        return Status.NOT_FOUND.withDescription("model '" + name + "' is not served here; models: "
                + String.join(", ", names)).asRuntimeException();
    }
}
