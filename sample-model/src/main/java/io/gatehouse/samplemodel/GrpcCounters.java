package io.gatehouse.samplemodel;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the sample model's gRPC side has seen, for tests: calls per method (every call that arrived,
 * including those refused for a wrong key), calls the client cancelled (explicitly or by its deadline)
 * per method, calls refused as unauthenticated, and the metadata of the last call. Read it in-process
 * with {@link SampleModelServer#grpcCounters()}, or out of process as {@code GET /debug/grpc} (JSON, see
 * {@link #toJson()}; it needs the API key like every other path). Method names are the bare names
 * ({@code ModelInfer}). Thread-safe.
 */
public final class GrpcCounters {

    /**
     * The metadata of one call.
     *
     * @param method        the bare method name, e.g. {@code ModelInfer}
     * @param authorization the {@code authorization} value that arrived, or null when none did
     * @param metadata      every text (non {@code -bin}) metadata entry, lower-case keys, in arrival order
     */
    public record CallMetadata(String method, String authorization, Map<String, List<String>> metadata) {

        public CallMetadata {
            Map<String, List<String>> copy = new LinkedHashMap<>();
            metadata.forEach((k, v) -> copy.put(k, List.copyOf(v)));
            metadata = Collections.unmodifiableMap(copy);
        }

        public boolean hasAuthorization() {
            return authorization != null;
        }

        @Override
        public String toString() {
            return "CallMetadata[method=" + method + ", authorization=" + (authorization == null ? "absent" : "***")
                    + ", keys=" + metadata.keySet() + "]";
        }
    }

    /** The methods of {@code inference.GRPCInferenceService}, in the order of the proto file. */
    static final List<String> METHODS = List.of("ServerLive", "ServerReady", "ModelReady", "ServerMetadata",
            "ModelMetadata", "ModelInfer", "ModelStreamInfer", "RepositoryIndex", "RepositoryModelLoad",
            "RepositoryModelUnload");

    private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> cancelled = new ConcurrentHashMap<>();
    private final AtomicLong unauthenticated = new AtomicLong();
    private final AtomicReference<CallMetadata> lastCall = new AtomicReference<>();

    GrpcCounters() {
    }

    void called(CallMetadata call) {
        calls.computeIfAbsent(call.method(), k -> new AtomicLong()).incrementAndGet();
        lastCall.set(call);
    }

    void cancelledCall(String method) {
        cancelled.computeIfAbsent(method, k -> new AtomicLong()).incrementAndGet();
    }

    void unauthenticatedCall() {
        unauthenticated.incrementAndGet();
    }

    /** Calls of one method (bare name, e.g. {@code ModelInfer}) so far. */
    public long calls(String method) {
        AtomicLong n = calls.get(method);
        return n == null ? 0 : n.get();
    }

    /** Calls of every method so far. */
    public long calls() {
        return calls.values().stream().mapToLong(AtomicLong::get).sum();
    }

    /** Calls of one method the client cancelled (or whose deadline passed) before the answer was complete. */
    public long cancelled(String method) {
        AtomicLong n = cancelled.get(method);
        return n == null ? 0 : n.get();
    }

    /** Cancelled calls of every method. */
    public long cancelled() {
        return cancelled.values().stream().mapToLong(AtomicLong::get).sum();
    }

    /** Calls refused with UNAUTHENTICATED. */
    public long unauthenticatedCalls() {
        return unauthenticated.get();
    }

    /** The metadata of the call that arrived last, empty before the first call. */
    public Optional<CallMetadata> lastCall() {
        return Optional.ofNullable(lastCall.get());
    }

    /**
     * The {@code GET /debug/grpc} document: {@code {"calls":{"ServerLive":0,...},"callsTotal":n,
     * "cancelled":{...},"cancelledTotal":n,"unauthenticated":n,"lastCall":null | {"method":"ModelInfer",
     * "authorization":"Bearer ..." | null,"metadata":{"key":["value"]}}}}, plus {@code models} (name to
     * {@code READY} / {@code UNAVAILABLE}) added by the endpoint.
     */
    Map<String, Object> toJson() {
        Map<String, Object> callCounts = new LinkedHashMap<>();
        Map<String, Object> cancelCounts = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(METHODS);
        calls.keySet().stream().filter(m -> !names.contains(m)).sorted().forEach(names::add);
        for (String method : names) {
            callCounts.put(method, calls(method));
            cancelCounts.put(method, cancelled(method));
        }
        CallMetadata last = lastCall.get();
        Map<String, Object> lastJson = last == null ? null : Json.object(
                "method", last.method(),
                "authorization", last.authorization(),
                "metadata", new LinkedHashMap<String, Object>(last.metadata()));
        return Json.object(
                "calls", callCounts,
                "callsTotal", calls(),
                "cancelled", cancelCounts,
                "cancelledTotal", cancelled(),
                "unauthenticated", unauthenticated.get(),
                "lastCall", lastJson);
    }
}
