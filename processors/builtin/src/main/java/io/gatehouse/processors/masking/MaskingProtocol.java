package io.gatehouse.processors.masking;

/**
 * The body shape masking expects, written in config as {@code openai}, {@code ollama}, {@code kserve-v2},
 * {@code generic}. It decides which JSON strings are protocol structure (ids, model names, roles: never
 * scanned) and, in streams, which strings are pieces of one text that continues from event to event.
 */
public enum MaskingProtocol {
    /** OpenAI-compatible: message content, tool-call arguments, reasoning, and their SSE deltas. */
    OPENAI,
    /** Ollama's native API: {@code message.content}, {@code response}, {@code thinking}; NDJSON streams. */
    OLLAMA,
    /** KServe / Open Inference Protocol v2: BYTES tensor data; {@code text_output} of generate streams. */
    KSERVE_V2,
    /** Any JSON: every string is scanned on its own; no text continues across stream events. */
    GENERIC;

    /** The name written in config. */
    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
