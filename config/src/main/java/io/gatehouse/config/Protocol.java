package io.gatehouse.config;

import java.util.Optional;

/**
 * The protocols an endpoint may speak: the one place that lists them. An endpoint's
 * {@code protocol:} is written as the lower-case dash form ({@code openai}, {@code raw}).
 */
public enum Protocol {
    /** OpenAI-compatible HTTP API (vLLM, llama.cpp server, Ollama /v1, TGI). */
    OPENAI,
    /** Ollama's native API ({@code /api/chat}, {@code /api/generate}, {@code /api/embed}, NDJSON streams). */
    OLLAMA,
    /** KServe v2 / Open Inference Protocol over HTTP (Triton, KServe, MLServer). */
    KSERVE_V2,
    /** Any HTTP: path, method and size rules only. */
    RAW;

    /** The id written in config, e.g. {@code openai}. */
    public String id() {
        return ValueTypes.enumName(this);
    }

    public static Optional<Protocol> fromId(String id) {
        for (Protocol p : values()) {
            if (p.id().equals(id)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
