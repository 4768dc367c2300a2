package io.gatehouse.processors.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.spi.GatewayRequest;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import java.io.IOException;
import java.util.Iterator;
import java.util.Set;

/**
 * What an allowing rule writes into the request before it goes on: the output cap when the request sets
 * none (so output cost is bounded), in the field the request's dialect reads ({@code max_tokens},
 * Ollama's {@code options.num_predict}, TGI's {@code parameters.max_new_tokens}, llama.cpp's
 * {@code n_predict}, KServe's {@code parameters.max_tokens}), the usage chunk of a stream whose tokens count against a quota, and
 * the KServe {@code outputs[]} the caller may see.
 */
final class RequestRewriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Why a request could not be written as the rule needs; the request is refused. */
    static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    private RequestRewriter() {
    }

    /**
     * Rewrites the body when the rule needs it.
     *
     * @return the output cap now in force (requested or injected), or -1 when unbounded
     * @throws Refused when the request asks only for outputs the caller may not see, or sends binary tensors
     *                 whose outputs cannot be filtered
     */
    static long apply(GatewayRequest request, Operation op, CompiledRule rule, boolean countsTokens) {
        Integer cap = rule.limits.maxTokens();
        long inForce = op.maxTokens().isPresent() ? op.maxTokens().getAsInt() : -1;
        boolean inject = cap != null && op.maxTokens().isEmpty() && generates(op.kind());
        boolean usage = countsTokens && op.stream() && op.protocol().equals("openai")
                && (op.kind() == OperationKind.CHAT || op.kind() == OperationKind.COMPLETION);
        boolean outputs = rule.outputs != null && op.kind() == OperationKind.INFER;
        if (!inject && !usage && !outputs) {
            return inForce;
        }
        if (outputs && request.headers().contains("Inference-Header-Content-Length")) {
            throw new Refused("this caller may see only some outputs, and a request with binary tensor data cannot"
                    + " be filtered; send JSON tensors");
        }
        ObjectNode body = parse(request.body());
        if (body == null) {
            return inForce;
        }
        if (inject) {
            switch (op.protocol()) {
                case "ollama" -> {
                    JsonNode options = body.get("options");
                    ObjectNode o = options instanceof ObjectNode on ? on : body.putObject("options");
                    o.put("num_predict", cap);
                }
                case "tgi" -> { // TGI's own /generate and /generate_stream
                    JsonNode params = body.get("parameters");
                    ObjectNode p = params instanceof ObjectNode pn ? pn : body.putObject("parameters");
                    p.put("max_new_tokens", cap);
                }
                case "llama-cpp" -> body.put("n_predict", cap); // llama.cpp's own /completion
                case "kserve-v2" -> {
                    JsonNode params = body.get("parameters");
                    ObjectNode p = params instanceof ObjectNode pn ? pn : body.putObject("parameters");
                    p.put("max_tokens", cap);
                }
                default -> body.put(op.kind() == OperationKind.RESPONSES ? "max_output_tokens" : "max_tokens", cap);
            }
            inForce = cap;
        }
        if (usage) {
            JsonNode so = body.get("stream_options");
            ObjectNode o = so instanceof ObjectNode on ? on : body.putObject("stream_options");
            o.put("include_usage", true);
        }
        if (outputs) {
            filterOutputs(body, rule.outputs);
        }
        try {
            request.replaceBody(JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the request body", e);
        }
        return inForce;
    }

    static boolean generates(OperationKind kind) {
        return kind == OperationKind.CHAT || kind == OperationKind.COMPLETION || kind == OperationKind.RESPONSES;
    }

    private static void filterOutputs(ObjectNode body, Set<String> allowed) {
        if (!(body.get("outputs") instanceof ArrayNode requested) || requested.isEmpty()) {
            return; // every output comes back; the answer is filtered
        }
        int before = requested.size();
        for (Iterator<JsonNode> it = requested.elements(); it.hasNext(); ) {
            if (!allowed.contains(it.next().path("name").asText(null))) {
                it.remove();
            }
        }
        if (requested.isEmpty() && before > 0) {
            throw new Refused("every output the request names is hidden from this caller (visible: "
                    + allowed.stream().sorted().toList() + ")");
        }
    }

    private static ObjectNode parse(byte[] body) {
        if (body.length == 0) {
            return null;
        }
        try {
            return JSON.readTree(body) instanceof ObjectNode o ? o : null;
        } catch (IOException e) {
            return null;
        }
    }
}
