package io.gatehouse.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * What a streamed response phase produced.
 *
 * @param chunks   the chunks the client receives, after every transformer, including what the
 *                 transformers flushed at the end; held-back (empty) results are not chunks
 * @param observed the chunks handed to the step's observers, in order; empty when the step attached
 *                 none
 * @param error    the exception that cut the stream (a transformer threw), also given to every
 *                 observer's {@code onEnd}; empty when the stream ended normally
 */
public record StreamResult(List<byte[]> chunks, List<byte[]> observed, Optional<RuntimeException> error) {

    public StreamResult {
        chunks = List.copyOf(chunks);
        observed = List.copyOf(observed);
    }

    /** The chunks as UTF-8 strings. */
    public List<String> texts() {
        return chunks.stream().map(c -> new String(c, StandardCharsets.UTF_8)).toList();
    }

    /** All chunks joined, as UTF-8. */
    public String text() {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        chunks.forEach(all::writeBytes);
        return all.toString(StandardCharsets.UTF_8);
    }
}
