package io.gatehouse.config;

/** What a listener speaks; written in config as {@code http} or {@code grpc}. */
public enum ListenerProtocol {
    /** HTTP/1.1 (camel-netty-http): endpoints are chosen by path prefix. */
    HTTP,
    /** gRPC over HTTP/2 cleartext (camel-grpc), {@code inference.GRPCInferenceService}: endpoints are chosen by model. */
    GRPC;

    /** The name written in config. */
    public String id() {
        return ValueTypes.enumName(this);
    }
}
