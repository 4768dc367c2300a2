package io.gatehouse.processors.masking;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.processors.support.ParsedAnswer;
import io.gatehouse.spi.ChunkTransformer;
import java.io.ByteArrayOutputStream;

/** Masks a whole JSON document: collects it, masks every string at the end; not JSON fails closed. */
final class JsonWhole implements ChunkTransformer {

    private final Masker masker;
    private final JsonMasker json;
    private final MaskingCounts counts;
    private final String what;
    private final ParsedAnswer parsed;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();

    /** @param parsed where the masked answer's tree is handed on to the next built-in step, or null */
    JsonWhole(Masker masker, MaskingProtocol protocol, boolean response, MaskingCounts counts, ParsedAnswer parsed) {
        this.masker = masker;
        this.parsed = parsed;
        this.json = new JsonMasker(masker, protocol, response);
        this.counts = counts;
        this.what = response ? "the response body" : "the request body";
    }

    @Override
    public byte[] onChunk(byte[] chunk) {
        received.writeBytes(chunk);
        return EMPTY;
    }

    @Override
    public byte[] onEnd() {
        byte[] body = received.toByteArray();
        if (body.length == 0) {
            return body;
        }
        boolean[] changed = new boolean[1];
        JsonNode masked = json.mask(Json.parse(body, what), masker.scanner().context(), counts, null, changed);
        byte[] out = changed[0] ? Json.write(masked) : body;
        if (parsed != null) {
            parsed.offer(out, masked);
        }
        return out;
    }
}
