package io.gatehouse.processors.recording;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.spi.ChunkObserver;
import java.io.ByteArrayOutputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Observes the response body exactly as the client receives it. A whole body is kept as it is and
 * recorded like a request body (JSON fields redacted before it is cut to size). A stream keeps its
 * chunks, each with its time since the exchange started, up to the configured number of bytes (the
 * rest is counted); each chunk's event-stream JSON is redacted before it is cut. Called for one
 * body at a time, possibly from several threads in turn: every method is synchronized, so the
 * record built in {@code onResponseEnd} sees every chunk sent before it.
 */
final class ResponseCapture implements ChunkObserver {

    private record Chunk(long atMillis, byte[] bytes) {
    }

    private final boolean streamed;
    private final long maxBytes;
    private final JsonRedactor redactor;
    private final Clock clock;
    private final long startMillis;
    private final List<Chunk> chunks = new ArrayList<>();
    private final int[] redactions = {0};
    private long kept;
    private long total;
    private long count;
    private String error;

    ResponseCapture(boolean streamed, long maxBytes, JsonRedactor redactor, Clock clock, long startMillis) {
        this.streamed = streamed;
        this.maxBytes = maxBytes;
        this.redactor = redactor;
        this.clock = clock;
        this.startMillis = startMillis;
    }

    @Override
    public synchronized void onChunk(byte[] chunk) {
        total += chunk.length;
        count++;
        if (!streamed) {
            chunks.add(new Chunk(clock.millis() - startMillis, chunk)); // the gateway holds it anyway
            return;
        }
        long room = maxBytes - kept;
        if (room <= 0) {
            return;
        }
        byte[] keep = Bodies.redactEventStream(chunk, redactor, redactions);
        keep = keep.length <= room ? keep : Bodies.cut(keep, (int) room);
        kept += keep.length;
        chunks.add(new Chunk(clock.millis() - startMillis, keep));
    }

    @Override
    public synchronized void onEnd(Throwable error) {
        if (error != null) {
            this.error = error.getClass().getSimpleName();
        }
    }

    synchronized long bytesSent() {
        return total;
    }

    /** The body's record so far. */
    synchronized ObjectNode record(Scrubber scrubber) {
        if (!streamed) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            chunks.forEach(c -> all.writeBytes(c.bytes));
            return Bodies.record(all.toByteArray(), maxBytes, redactor, scrubber);
        }
        ObjectNode body = Bodies.JSON.createObjectNode();
        body.put("size", total);
        body.put("truncated", total > kept);
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
        if (error != null) {
            body.put("endedWith", error);
        }
        return body;
    }
}
