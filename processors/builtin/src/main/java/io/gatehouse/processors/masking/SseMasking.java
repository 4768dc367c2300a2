package io.gatehouse.processors.masking;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.spi.ChunkTransformer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Masks a {@code text/event-stream} body event by event. Bytes are framed into events (a blank line ends
 * one; {@code \n}, {@code \r\n} and {@code \r} line ends), at most {@code maxEventBytes} each; each event's
 * {@code data} is parsed as JSON and masked by the protocol's {@link StreamEvents}, then written back as one
 * {@code data:} line. Before {@code [DONE]} (or at the end of the stream) the text the channels still hold
 * goes out in an extra event. With a protocol, data that is neither JSON nor {@code [DONE]} ends the stream
 * (fail closed); with {@code generic}, it is masked as text. Comments are masked as text.
 */
final class SseMasking implements ChunkTransformer {

    private final Masker masker;
    private final StreamEvents events;
    private final MaskingCounts counts;
    private final boolean strict;
    private final Runnable progress;
    private final LineBuffer buffer;
    private final Scanner.Context scan;
    private int lineStart;
    private int scanFrom;
    private int eventCount;

    SseMasking(Masker masker, MaskingProtocol protocol, MaskingCounts counts, Runnable progress) {
        this.masker = masker;
        this.events = StreamEvents.of(masker, protocol, counts);
        this.counts = counts;
        this.strict = protocol != MaskingProtocol.GENERIC;
        this.progress = progress;
        this.buffer = new LineBuffer(masker.config().maxEventBytes().bytes(), "an SSE event");
        this.scan = masker.scanner().context();
    }

    @Override
    public byte[] onChunk(byte[] chunk) {
        buffer.append(chunk);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] b = buffer.bytes();
        int eventStart = 0;
        int i = scanFrom;
        while (i < buffer.length()) {
            byte c = b[i];
            if (c != '\n' && c != '\r') {
                i++;
                continue;
            }
            int terminator = 1;
            if (c == '\r') {
                if (i + 1 == buffer.length()) {
                    break; // a \n may follow in the next chunk
                }
                if (b[i + 1] == '\n') {
                    terminator = 2;
                }
            }
            boolean blank = i == lineStart;
            i += terminator;
            if (blank) {
                event(new String(b, eventStart, lineStart - eventStart, StandardCharsets.UTF_8), out);
                eventStart = i;
            }
            lineStart = i;
        }
        buffer.checkPending(eventStart);
        buffer.consume(eventStart);
        lineStart -= eventStart;
        scanFrom = i - eventStart;
        progress.run();
        return out.size() == 0 ? EMPTY : out.toByteArray();
    }

    @Override
    public byte[] onEnd() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String rest = new String(buffer.bytes(), 0, buffer.length(), StandardCharsets.UTF_8);
        buffer.consume(buffer.length());
        if (!rest.isBlank()) {
            event(rest, out);
        }
        flush(out);
        progress.run();
        return out.size() == 0 ? EMPTY : out.toByteArray();
    }

    /** One event's text without its blank line. */
    private void event(String text, ByteArrayOutputStream out) {
        eventCount++;
        StringBuilder before = new StringBuilder();
        StringBuilder after = new StringBuilder();
        List<String> data = new ArrayList<>();
        for (String line : text.split("\r\n|\n|\r", -1)) {
            if (line.isEmpty()) {
                continue;
            }
            StringBuilder into = data.isEmpty() ? before : after;
            if (line.charAt(0) == ':') {
                into.append(':').append(masker.maskWhole(line.substring(1), scan, counts, null)).append('\n');
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            if (field.equals("data")) {
                String value = colon < 0 ? "" : line.substring(colon + 1);
                data.add(value.startsWith(" ") ? value.substring(1) : value);
            } else {
                into.append(line).append('\n');
            }
        }
        StringBuilder event = new StringBuilder(text.length() + 16).append(before);
        if (!data.isEmpty()) {
            String payload = String.join("\n", data);
            String trimmed = payload.strip();
            if (trimmed.equals("[DONE]")) {
                flush(out);
                event.append("data: ").append(payload).append('\n');
            } else if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
                JsonNode masked = events.onEvent(Json.parse(payload, "SSE event " + eventCount + "'s data"));
                event.append("data: ").append(Json.writeString(masked)).append('\n');
            } else if (strict) {
                throw new MaskingException("SSE event " + eventCount + "'s data is neither JSON nor [DONE], so the"
                        + " stream was cut");
            } else {
                for (String line : masker.maskWhole(payload, scan, counts, null).split("\n", -1)) {
                    event.append("data: ").append(line).append('\n');
                }
            }
        }
        event.append(after).append('\n');
        out.writeBytes(event.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** What the channels still hold, as extra events (none when nothing is held). */
    private void flush(ByteArrayOutputStream out) {
        for (JsonNode extra : events.flush()) {
            out.writeBytes(("data: " + Json.writeString(extra) + "\n\n").getBytes(StandardCharsets.UTF_8));
        }
    }
}
