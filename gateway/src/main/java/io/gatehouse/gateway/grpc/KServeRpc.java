package io.gatehouse.gateway.grpc;

import java.util.Optional;

/**
 * The methods of {@code inference.GRPCInferenceService}, with the name camel-grpc hands the route (the
 * generated Java method name) and the wire name clients and model servers use.
 */
enum KServeRpc {
    SERVER_LIVE("ServerLive", false),
    SERVER_READY("ServerReady", false),
    MODEL_READY("ModelReady", false),
    SERVER_METADATA("ServerMetadata", false),
    MODEL_METADATA("ModelMetadata", false),
    MODEL_INFER("ModelInfer", false),
    MODEL_STREAM_INFER("ModelStreamInfer", true),
    REPOSITORY_INDEX("RepositoryIndex", false),
    REPOSITORY_MODEL_LOAD("RepositoryModelLoad", false),
    REPOSITORY_MODEL_UNLOAD("RepositoryModelUnload", false),
    // Triton's other methods: received, recorded, answered UNIMPLEMENTED.
    MODEL_STATISTICS("ModelStatistics"),
    MODEL_CONFIG("ModelConfig"),
    SYSTEM_SHARED_MEMORY_STATUS("SystemSharedMemoryStatus"),
    SYSTEM_SHARED_MEMORY_REGISTER("SystemSharedMemoryRegister"),
    SYSTEM_SHARED_MEMORY_UNREGISTER("SystemSharedMemoryUnregister"),
    CUDA_SHARED_MEMORY_STATUS("CudaSharedMemoryStatus"),
    CUDA_SHARED_MEMORY_REGISTER("CudaSharedMemoryRegister"),
    CUDA_SHARED_MEMORY_UNREGISTER("CudaSharedMemoryUnregister"),
    TRACE_SETTING("TraceSetting"),
    LOG_SETTINGS("LogSettings");

    static final String SERVICE = "inference.GRPCInferenceService";

    private final String wireName;
    private final boolean streaming;
    private final boolean served;

    KServeRpc(String wireName, boolean streaming) {
        this.wireName = wireName;
        this.streaming = streaming;
        this.served = true;
    }

    /** A method the gateway receives but does not serve. */
    KServeRpc(String wireName) {
        this.wireName = wireName;
        this.streaming = false;
        this.served = false;
    }

    /** Whether the gateway forwards this method (else it answers UNIMPLEMENTED, recorded). */
    boolean served() {
        return served;
    }

    /** {@code ModelInfer}. */
    String wireName() {
        return wireName;
    }

    /** {@code /inference.GRPCInferenceService/ModelInfer}: the HTTP/2 path of the call, and the path policies see. */
    String path() {
        return "/" + SERVICE + "/" + wireName;
    }

    /** Whether the call streams messages both ways (each request message is its own exchange). */
    boolean streaming() {
        return streaming;
    }

    /** The method for the name camel-grpc puts in its method-name header ({@code modelInfer}). */
    static Optional<KServeRpc> forJavaName(String javaName) {
        if (javaName == null || javaName.isEmpty()) {
            return Optional.empty();
        }
        String wire = Character.toUpperCase(javaName.charAt(0)) + javaName.substring(1);
        for (KServeRpc rpc : values()) {
            if (rpc.wireName.equals(wire)) {
                return Optional.of(rpc);
            }
        }
        return Optional.empty();
    }
}
