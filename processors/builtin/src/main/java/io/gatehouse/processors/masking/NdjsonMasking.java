package io.gatehouse.processors.masking;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.spi.ChunkTransformer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Masks a newline-delimited JSON body (Ollama's streams, {@code application/x-ndjson}) line by line, at
 * most {@code maxEventBytes} a line. Each line must be JSON (else the stream is cut: fail closed); the
 * protocol's {@link StreamEvents} carries text across lines. What the channels still hold at the end goes
 * out as one more line.
 */
final class NdjsonMasking implements ChunkTransformer {

    private final StreamEvents events;
    private final Runnable progress;
    private final LineBuffer buffer;
    private int scanFrom;
    private int lines;
    private boolean endsWithNewline = true;

    NdjsonMasking(Masker masker, MaskingProtocol protocol, MaskingCounts counts, Runnable progress) {
        this.events = StreamEvents.of(masker, protocol, counts);
        this.progress = progress;
        this.buffer = new LineBuffer(masker.config().maxEventBytes().bytes(), "an NDJSON line");
    }

    @Override
    public byte[] onChunk(byte[] chunk) {
        buffer.append(chunk);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] b = buffer.bytes();
        int lineStart = 0;
        for (int i = scanFrom; i < buffer.length(); i++) {
            if (b[i] == '\n') {
                line(new String(b, lineStart, i - lineStart, StandardCharsets.UTF_8), true, out);
                lineStart = i + 1;
            }
        }
        buffer.checkPending(lineStart);
        buffer.consume(lineStart);
        scanFrom = buffer.length();
        progress.run();
        return out.size() == 0 ? EMPTY : out.toByteArray();
    }

    @Override
    public byte[] onEnd() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (buffer.length() > 0) {
            line(new String(buffer.bytes(), 0, buffer.length(), StandardCharsets.UTF_8), false, out);
            buffer.consume(buffer.length());
        }
        for (JsonNode extra : events.flush()) {
            if (!endsWithNewline) {
                out.write('\n');
            }
            out.writeBytes((Json.writeString(extra) + "\n").getBytes(StandardCharsets.UTF_8));
            endsWithNewline = true;
        }
        progress.run();
        return out.size() == 0 ? EMPTY : out.toByteArray();
    }

    private void line(String text, boolean newline, ByteArrayOutputStream out) {
        String line = text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
        if (!line.isBlank()) {
            lines++;
            JsonNode masked = events.onEvent(Json.parse(line, "NDJSON line " + lines));
            out.writeBytes(Json.writeString(masked).getBytes(StandardCharsets.UTF_8));
        }
        if (newline) {
            out.write('\n');
        }
        endsWithNewline = newline;
    }
}
