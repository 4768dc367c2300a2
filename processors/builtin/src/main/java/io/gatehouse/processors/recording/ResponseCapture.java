package io.gatehouse.processors.recording;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.processors.masking.BodyMasking;
import io.gatehouse.processors.support.MaskedAnswer;
import io.gatehouse.spi.Attributes;
import io.gatehouse.spi.ChunkObserver;
import io.gatehouse.spi.Headers;
import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Observes the response body exactly as the client receives it. A whole body is kept as it is and
 * recorded like a request body (masked when the recording masks, JSON fields redacted, then cut to
 * size). A stream keeps its chunks, each with its time since the exchange started, up to the
 * configured number of bytes (the rest is counted); when the recording masks, the chunks go through a
 * stream masker first and what it lets out is kept (bytes it holds back to catch a value split across
 * chunks are kept at the end, when the record is made); each kept chunk's event-stream JSON is redacted
 * before it is cut. A body the recording's masking cannot read keeps none of its bytes. Called for one
 * body at a time, possibly from several threads in turn: every method is synchronized, so the record
 * built in {@code onResponseEnd} sees every chunk sent before it. Never throws.
 */
final class ResponseCapture implements ChunkObserver {

    private record Chunk(long atMillis, byte[] bytes) {
    }

    private final boolean streamed;
    private final long maxBytes;
    private final JsonRedactor redactor;
    private final Clock clock;
    private final long startMillis;
    private final StoredMasking masking;
    private final Headers headers;
    private final Attributes attributes;
    private final List<Chunk> chunks = new ArrayList<>();
    private final int[] redactions = {0};
    private BodyMasking.Stream stream;
    private boolean omitted;
    private boolean streamEnded;
    private boolean truncated;
    private Map<String, Integer> maskedCounts = Map.of();
    private long kept;
    private long total;
    private long count;
    private String error;

    /**
     * @param masking the recording's masking, or null when it does not mask
     * @param headers the response headers (their Content-Type decides how the body is read)
     * @param attributes the exchange's, where the masking step says what it handed on ({@link MaskedAnswer})
     */
    ResponseCapture(boolean streamed, long maxBytes, JsonRedactor redactor, Clock clock, long startMillis,
                    StoredMasking masking, Headers headers, Attributes attributes) {
        this.streamed = streamed;
        this.maxBytes = maxBytes;
        this.redactor = redactor;
        this.clock = clock;
        this.startMillis = startMillis;
        this.masking = masking;
        this.headers = headers;
        this.attributes = attributes;
        if (streamed && masking != null) {
            try {
                this.stream = masking.stream(headers).orElse(null);
            } catch (RuntimeException unreadable) {
                this.omitted = true;
            }
        }
    }

    @Override
    public synchronized void onChunk(byte[] chunk) {
        total += chunk.length;
        count++;
        if (!streamed) {
            chunks.add(new Chunk(clock.millis() - startMillis, chunk)); // the gateway holds it anyway
            return;
        }
        if (omitted) {
            return;
        }
        if (maxBytes - kept <= 0) {
            truncated = true;
            return; // the record is full: nothing more is read, masked or kept
        }
        byte[] keep = chunk;
        if (stream != null) {
            try {
                keep = stream.onChunk(chunk);
            } catch (RuntimeException unreadable) {
                omit();
                return;
            }
        }
        keep(keep);
    }

    @Override
    public synchronized void onEnd(Throwable error) {
        if (error != null) {
            this.error = error.getClass().getSimpleName();
        }
        endStream();
    }

    synchronized long bytesSent() {
        return total;
    }

    /**
     * What the recording's masking masked in this body, per detector id; empty when it masks nothing
     * or left the body out. Complete once {@link #record} was made.
     */
    synchronized Map<String, Integer> maskedCounts() {
        return maskedCounts;
    }

    /** The body's record so far. */
    synchronized ObjectNode record(Scrubber scrubber) {
        if (!streamed) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            chunks.forEach(c -> all.writeBytes(c.bytes));
            byte[] body = all.toByteArray();
            if (masking == null || maxBytes == 0) {
                return Bodies.record(body, maxBytes, redactor, scrubber);
            }
            Optional<BodyMasking.Result> masked = masking.whole(body, headers, false, MaskedAnswer.of(attributes));
            if (masked.isEmpty()) {
                return Bodies.omitted(body.length);
            }
            maskedCounts = masked.get().counts();
            return Bodies.record(body.length, masked.get().body(), maxBytes, redactor, scrubber);
        }
        endStream(); // the end hooks run before the observers hear of the end: keep what was held back now
        ObjectNode body = Bodies.JSON.createObjectNode();
        body.put("size", total);
        if (omitted) {
            body.put("chunkCount", count);
            body.put("omitted", StoredMasking.OMITTED);
        } else {
            body.put("truncated", truncated);
            body.put("chunkCount", count);
            if (redactions[0] > 0) {
                body.put("redactions", redactions[0]);
            }
            List<byte[]> bytes = new ArrayList<>(chunks.size());
            chunks.forEach(c -> bytes.add(c.bytes));
            List<byte[]> scrubbed = scrubber.chunks(bytes);
            ArrayNode list = body.putArray("chunks");
            for (int i = 0; i < chunks.size(); i++) {
                ObjectNode chunk = list.addObject();
                chunk.put("atMs", chunks.get(i).atMillis);
                Bodies.encode(scrubbed.get(i), chunk);
            }
        }
        if (error != null) {
            body.put("endedWith", error);
        }
        return body;
    }

    /** Keeps what the stream masker still holds, once. */
    private void endStream() {
        if (stream == null || streamEnded || omitted) {
            return;
        }
        streamEnded = true;
        if (maxBytes - kept <= 0) {
            maskedCounts = stream.counts();
            return;
        }
        try {
            keep(stream.onEnd());
        } catch (RuntimeException unreadable) {
            omit();
            return;
        }
        maskedCounts = stream.counts();
    }

    /** Keeps one chunk as stored: event-stream JSON redacted, then cut to the room left. */
    private void keep(byte[] bytes) {
        if (bytes.length == 0) {
            return;
        }
        long room = maxBytes - kept;
        if (room <= 0) {
            truncated = true;
            return;
        }
        byte[] keep = Bodies.redactEventStream(bytes, redactor, redactions);
        if (keep.length > room) {
            keep = Bodies.cut(keep, (int) room);
            truncated = true;
        }
        kept += keep.length;
        chunks.add(new Chunk(clock.millis() - startMillis, keep));
    }

    /** The recording's masking could not read the stream: nothing of it is kept. */
    private void omit() {
        omitted = true;
        chunks.clear();
        kept = 0;
        maskedCounts = Map.of();
    }
}
