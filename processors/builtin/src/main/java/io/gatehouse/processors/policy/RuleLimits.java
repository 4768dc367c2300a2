package io.gatehouse.processors.policy;

import io.gatehouse.processors.support.Durations;
import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.ConfigException;
import java.time.Duration;

/**
 * What an allowing rule bounds. Every component may be left out (no bound).
 *
 * @param maxBodyBytes      largest request body
 * @param maxBatch          most inputs per request: {@code n} × prompt/input array length (OpenAI),
 *                          {@code shape[0]} (KServe v2)
 * @param maxTokens         largest output cap a request may ask for ({@code max_tokens},
 *                          {@code max_completion_tokens}, Ollama {@code options.num_predict}); a request
 *                          that sets none gets this cap written into its body, so output cost is bounded
 * @param streaming         false refuses streamed requests; default true
 * @param maxStreamDuration how long a streamed answer may last; the gateway cuts it then (504)
 */
public record RuleLimits(ByteSize maxBodyBytes, Integer maxBatch, Integer maxTokens, Boolean streaming,
                         Duration maxStreamDuration) {

    public RuleLimits {
        streaming = streaming == null || streaming;
        if (maxBatch != null && maxBatch < 1) {
            throw new ConfigException("maxBatch", "must be at least 1, got " + maxBatch);
        }
        if (maxTokens != null && maxTokens < 1) {
            throw new ConfigException("maxTokens", "must be at least 1, got " + maxTokens);
        }
        if (maxStreamDuration != null && (maxStreamDuration.isNegative() || maxStreamDuration.isZero())) {
            throw new ConfigException("maxStreamDuration", "must be positive, got " + Durations.format(maxStreamDuration));
        }
    }

    /** No bound at all. */
    static RuleLimits none() {
        return new RuleLimits(null, null, null, null, null);
    }
}
