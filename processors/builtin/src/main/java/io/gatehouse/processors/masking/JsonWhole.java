package io.gatehouse.processors.masking;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.spi.ChunkTransformer;
import java.io.ByteArrayOutputStream;

/** Masks a whole JSON document: collects it, masks every string at the end; not JSON fails closed. */
final class JsonWhole implements ChunkTransformer {

    private final Masker masker;
    private final JsonMasker json;
    private final MaskingCounts counts;
    private final String what;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();

    JsonWhole(Masker masker, MaskingProtocol protocol, boolean response, MaskingCounts counts) {
        this.masker = masker;
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
        return changed[0] ? Json.write(masked) : body;
    }
}
