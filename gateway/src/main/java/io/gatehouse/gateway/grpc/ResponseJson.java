package io.gatehouse.gateway.grpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.gatehouse.kserve.grpc.InferTensorContents;
import io.gatehouse.kserve.grpc.ModelInferResponse;
import io.gatehouse.kserve.grpc.ModelMetadataResponse;
import io.gatehouse.kserve.grpc.ModelReadyResponse;
import io.gatehouse.kserve.grpc.ModelStreamInferResponse;
import io.gatehouse.kserve.grpc.RepositoryIndexResponse;
import io.gatehouse.kserve.grpc.RepositoryModelLoadResponse;
import io.gatehouse.kserve.grpc.RepositoryModelUnloadResponse;
import io.gatehouse.kserve.grpc.ServerLiveResponse;
import io.gatehouse.kserve.grpc.ServerMetadataResponse;
import io.gatehouse.kserve.grpc.ServerReadyResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's gRPC response message seen as its KServe v2 REST JSON, for the response phase (policy
 * removes outputs and fields, masking rewrites BYTES elements, recording stores it), and back. A
 * streamed inference answer is one JSON line per message: the inference response, or
 * {@code {"error": "..."}} for a message that carries only an error.
 */
final class ResponseJson {

    private ResponseJson() {
    }

    static Message parse(KServeRpc rpc, byte[] bytes) throws InvalidProtocolBufferException {
        return switch (rpc) {
            case SERVER_LIVE -> ServerLiveResponse.parseFrom(bytes);
            case SERVER_READY -> ServerReadyResponse.parseFrom(bytes);
            case MODEL_READY -> ModelReadyResponse.parseFrom(bytes);
            case SERVER_METADATA -> ServerMetadataResponse.parseFrom(bytes);
            case MODEL_METADATA -> ModelMetadataResponse.parseFrom(bytes);
            case MODEL_INFER -> ModelInferResponse.parseFrom(bytes);
            case MODEL_STREAM_INFER -> ModelStreamInferResponse.parseFrom(bytes);
            case REPOSITORY_INDEX -> RepositoryIndexResponse.parseFrom(bytes);
            case REPOSITORY_MODEL_LOAD -> RepositoryModelLoadResponse.parseFrom(bytes);
            case REPOSITORY_MODEL_UNLOAD -> RepositoryModelUnloadResponse.parseFrom(bytes);
            default -> throw new IllegalStateException(rpc.wireName() + " is not forwarded, so it has no answer");
        };
    }

    static JsonNode json(KServeRpc rpc, Message message) {
        ObjectNode n = RequestJson.JSON.createObjectNode();
        switch (rpc) {
            case SERVER_LIVE -> n.put("live", ((ServerLiveResponse) message).getLive());
            case SERVER_READY -> n.put("ready", ((ServerReadyResponse) message).getReady());
            case MODEL_READY -> n.put("ready", ((ModelReadyResponse) message).getReady());
            case SERVER_METADATA -> {
                ServerMetadataResponse m = (ServerMetadataResponse) message;
                n.put("name", m.getName()).put("version", m.getVersion());
                ArrayNode extensions = n.putArray("extensions");
                m.getExtensionsList().forEach(extensions::add);
            }
            case MODEL_METADATA -> {
                ModelMetadataResponse m = (ModelMetadataResponse) message;
                n.put("name", m.getName());
                ArrayNode versions = n.putArray("versions");
                m.getVersionsList().forEach(versions::add);
                n.put("platform", m.getPlatform());
                tensors(m.getInputsList(), n.putArray("inputs"));
                tensors(m.getOutputsList(), n.putArray("outputs"));
            }
            case MODEL_INFER -> {
                return inferResponse((ModelInferResponse) message);
            }
            case MODEL_STREAM_INFER -> {
                ModelStreamInferResponse m = (ModelStreamInferResponse) message;
                if (!m.getErrorMessage().isEmpty() && !m.hasInferResponse()) {
                    n.put("error", m.getErrorMessage());
                    return n;
                }
                ObjectNode inner = inferResponse(m.getInferResponse());
                if (!m.getErrorMessage().isEmpty()) {
                    inner.put("error", m.getErrorMessage());
                }
                return inner;
            }
            case REPOSITORY_INDEX -> {
                // The REST index is a bare array; an object keeps one shape for every answer here.
                ArrayNode models = n.putArray("models");
                for (RepositoryIndexResponse.ModelIndex m : ((RepositoryIndexResponse) message).getModelsList()) {
                    models.addObject().put("name", m.getName()).put("version", m.getVersion())
                            .put("state", m.getState()).put("reason", m.getReason());
                }
            }
            default -> {
                // empty answers (load, unload)
            }
        }
        return n;
    }

    static ObjectNode inferResponse(ModelInferResponse r) {
        ObjectNode n = RequestJson.JSON.createObjectNode();
        n.put("model_name", r.getModelName());
        if (!r.getModelVersion().isEmpty()) {
            n.put("model_version", r.getModelVersion());
        }
        if (!r.getId().isEmpty()) {
            n.put("id", r.getId());
        }
        TensorJson.parameters(r.getParametersMap(), n);
        boolean raw = r.getRawOutputContentsCount() > 0;
        ArrayNode outputs = n.putArray("outputs");
        for (int i = 0; i < r.getOutputsCount(); i++) {
            ModelInferResponse.InferOutputTensor t = r.getOutputs(i);
            ObjectNode output = outputs.addObject();
            output.put("name", t.getName());
            output.put("datatype", t.getDatatype());
            output.set("shape", TensorJson.shape(t.getShapeList()));
            TensorJson.parameters(t.getParametersMap(), output);
            TensorJson.data(t.getDatatype(), t.hasContents() ? t.getContents() : null,
                    raw && i < r.getRawOutputContentsCount() ? r.getRawOutputContents(i) : null, output);
        }
        return n;
    }

    /**
     * The message for the client: the model's original with what the response phase left in the JSON
     * taken over — outputs it removed are gone, BYTES elements are as masked, lists as filtered.
     */
    static Message fromJson(KServeRpc rpc, Message original, JsonNode json) {
        return switch (rpc) {
            case MODEL_INFER -> inferResponse((ModelInferResponse) original, json);
            case MODEL_STREAM_INFER -> {
                ModelStreamInferResponse m = (ModelStreamInferResponse) original;
                ModelStreamInferResponse.Builder b = ModelStreamInferResponse.newBuilder()
                        .setErrorMessage(json.path("error").asText(""));
                if (m.hasInferResponse()) {
                    b.setInferResponse(inferResponse(m.getInferResponse(), json));
                }
                yield b.build();
            }
            case SERVER_METADATA -> {
                ServerMetadataResponse m = (ServerMetadataResponse) original;
                List<String> extensions = new ArrayList<>();
                json.path("extensions").forEach(e -> extensions.add(e.asText()));
                yield m.toBuilder().setName(json.path("name").asText("")).setVersion(json.path("version").asText(""))
                        .clearExtensions().addAllExtensions(extensions).build();
            }
            case REPOSITORY_INDEX -> {
                // A policy may have removed models the caller may not use.
                RepositoryIndexResponse.Builder b = RepositoryIndexResponse.newBuilder();
                for (JsonNode m : json.path("models")) {
                    b.addModels(RepositoryIndexResponse.ModelIndex.newBuilder().setName(m.path("name").asText(""))
                            .setVersion(m.path("version").asText("")).setState(m.path("state").asText(""))
                            .setReason(m.path("reason").asText("")));
                }
                yield b.build();
            }
            default -> original; // readiness and metadata answers hold nothing a processor rewrites
        };
    }

    private static ModelInferResponse inferResponse(ModelInferResponse r, JsonNode json) {
        ModelInferResponse.Builder b = r.toBuilder().clearOutputs().clearRawOutputContents().clearParameters();
        b.putAllParameters(TensorJson.parameters(json, r.getParametersMap()));
        b.setId(json.path("id").asText(r.getId()));
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < r.getOutputsCount(); i++) {
            index.putIfAbsent(r.getOutputs(i).getName(), i);
        }
        boolean raw = r.getRawOutputContentsCount() > 0;
        for (JsonNode out : json.path("outputs")) {
            Integer i = index.get(out.path("name").asText());
            if (i == null) {
                continue; // nothing a processor adds reaches the client
            }
            ModelInferResponse.InferOutputTensor t = r.getOutputs(i);
            ModelInferResponse.InferOutputTensor.Builder tb = t.toBuilder().clearParameters()
                    .putAllParameters(TensorJson.parameters(out, t.getParametersMap()));
            ByteString rawContents = raw && i < r.getRawOutputContentsCount() ? r.getRawOutputContents(i) : null;
            if (t.getDatatype().equals("BYTES")) {
                List<ByteString> before = raw ? TensorJson.bytesElements(rawContents)
                        : t.getContents().getBytesContentsList();
                List<ByteString> after = TensorJson.textElements(out, before.size());
                // A binary element was shown as its hash: it goes on as it came.
                if (after != null && before.stream().allMatch(TensorJson::isUtf8)) {
                    if (raw) {
                        rawContents = TensorJson.rawBytes(after);
                    } else {
                        tb.setContents(InferTensorContents.newBuilder(t.getContents()).clearBytesContents()
                                .addAllBytesContents(after));
                    }
                }
            }
            b.addOutputs(tb);
            if (raw) {
                b.addRawOutputContents(rawContents == null ? ByteString.EMPTY : rawContents);
            }
        }
        return b.build();
    }

    private static void tensors(List<ModelMetadataResponse.TensorMetadata> tensors, ArrayNode into) {
        for (ModelMetadataResponse.TensorMetadata t : tensors) {
            into.addObject().put("name", t.getName()).put("datatype", t.getDatatype())
                    .set("shape", TensorJson.shape(t.getShapeList()));
        }
    }
}
