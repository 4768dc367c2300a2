package io.gatehouse.processors.masking;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * KServe / Triton generate streams: {@code text_output} continues across events; held text goes out in
 * one more event at the end of the stream (the protocol has no end marker of its own).
 */
final class KServeEvents extends StreamEvents {

    private static final String TEXT = "text_output";
    private ObjectNode last;

    KServeEvents(Masker masker, MaskingCounts counts) {
        super(masker, MaskingProtocol.KSERVE_V2, counts);
    }

    @Override
    protected void channels(ObjectNode event) {
        last = event;
        push(event, TEXT, new Channel(0, TEXT, -1));
    }

    @Override
    List<JsonNode> flush() {
        Map<Channel, String> tails = finish(c -> true);
        if (tails.isEmpty()) {
            return List.of();
        }
        ObjectNode event = Json.MAPPER.createObjectNode();
        copy(last, event, "model_name", "model_version", "id");
        tails.values().forEach(tail -> append(event, TEXT, tail));
        return List.of(event);
    }
}
