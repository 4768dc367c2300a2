package io.gatehouse.gateway.grpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.gatehouse.gateway.protocol.MalformedRequestException;
import io.gatehouse.kserve.grpc.InferTensorContents;
import io.gatehouse.kserve.grpc.ModelInferRequest;
import io.gatehouse.kserve.grpc.ModelMetadataRequest;
import io.gatehouse.kserve.grpc.ModelReadyRequest;
import io.gatehouse.kserve.grpc.ModelRepositoryParameter;
import io.gatehouse.kserve.grpc.RepositoryIndexRequest;
import io.gatehouse.kserve.grpc.RepositoryModelLoadRequest;
import io.gatehouse.kserve.grpc.RepositoryModelUnloadRequest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A gRPC request message seen as its KServe v2 REST equivalent: the method, path and JSON body the
 * REST protocol would carry. The protocol adapter classifies it, processors read and rewrite the JSON
 * (masking BYTES inputs, filtering requested outputs), and {@link #encode} turns what they left back
 * into the message the model gets. Numeric tensor data is never rewritten: it goes on as it came.
 */
final class RequestJson {

    static final ObjectMapper JSON = new ObjectMapper();

    /** The REST equivalent of one call: for the adapter and for the record. */
    record RestView(String method, String path, byte[] body) {
    }

    private RequestJson() {
    }

    /** The model a request names, or null for server-level calls. */
    static String model(KServeRpc rpc, Message request) {
        return switch (rpc) {
            case MODEL_INFER, MODEL_STREAM_INFER -> ((ModelInferRequest) request).getModelName();
            case MODEL_READY -> ((ModelReadyRequest) request).getName();
            case MODEL_METADATA -> ((ModelMetadataRequest) request).getName();
            case REPOSITORY_MODEL_LOAD -> ((RepositoryModelLoadRequest) request).getModelName();
            case REPOSITORY_MODEL_UNLOAD -> ((RepositoryModelUnloadRequest) request).getModelName();
            default -> null; // server-level calls, and the methods the gateway does not serve
        };
    }

    static RestView rest(KServeRpc rpc, Message request) {
        return switch (rpc) {
            case SERVER_LIVE -> new RestView("GET", "/v2/health/live", new byte[0]);
            case SERVER_READY -> new RestView("GET", "/v2/health/ready", new byte[0]);
            case SERVER_METADATA -> new RestView("GET", "/v2", new byte[0]);
            case MODEL_READY -> {
                ModelReadyRequest r = (ModelReadyRequest) request;
                yield new RestView("GET", modelPath(r.getName(), r.getVersion()) + "/ready", new byte[0]);
            }
            case MODEL_METADATA -> {
                ModelMetadataRequest r = (ModelMetadataRequest) request;
                yield new RestView("GET", modelPath(r.getName(), r.getVersion()), new byte[0]);
            }
            case MODEL_INFER, MODEL_STREAM_INFER -> {
                ModelInferRequest r = (ModelInferRequest) request;
                yield new RestView("POST", modelPath(r.getModelName(), r.getModelVersion()) + "/infer",
                        write(inferRequest(r)));
            }
            case REPOSITORY_INDEX -> {
                RepositoryIndexRequest r = (RepositoryIndexRequest) request;
                ObjectNode body = JSON.createObjectNode();
                if (!r.getRepositoryName().isEmpty()) {
                    body.put("repository_name", r.getRepositoryName());
                }
                body.put("ready", r.getReady());
                yield new RestView("POST", "/v2/repository/index", write(body));
            }
            case REPOSITORY_MODEL_LOAD -> {
                RepositoryModelLoadRequest r = (RepositoryModelLoadRequest) request;
                yield new RestView("POST", "/v2/repository/models/" + segment(r.getModelName()) + "/load",
                        write(repository(r.getRepositoryName(), r.getParametersMap())));
            }
            case REPOSITORY_MODEL_UNLOAD -> {
                RepositoryModelUnloadRequest r = (RepositoryModelUnloadRequest) request;
                yield new RestView("POST", "/v2/repository/models/" + segment(r.getModelName()) + "/unload",
                        write(repository(r.getRepositoryName(), r.getParametersMap())));
            }
            default -> new RestView("POST", rpc.path(), new byte[0]); // not served: the adapter sees raw
        };
    }

    /** The v2 REST body of an inference request (the model and version are in the path). */
    static ObjectNode inferRequest(ModelInferRequest r) {
        boolean raw = r.getRawInputContentsCount() > 0;
        if (raw && r.getRawInputContentsCount() != r.getInputsCount()) {
            throw new MalformedRequestException("raw_input_contents has " + r.getRawInputContentsCount()
                    + " entries for " + r.getInputsCount() + " inputs");
        }
        ObjectNode body = JSON.createObjectNode();
        if (!r.getId().isEmpty()) {
            body.put("id", r.getId());
        }
        TensorJson.parameters(r.getParametersMap(), body);
        ArrayNode inputs = body.putArray("inputs");
        for (int i = 0; i < r.getInputsCount(); i++) {
            ModelInferRequest.InferInputTensor t = r.getInputs(i);
            ObjectNode input = inputs.addObject();
            input.put("name", t.getName());
            input.set("shape", TensorJson.shape(t.getShapeList()));
            input.put("datatype", t.getDatatype());
            TensorJson.parameters(t.getParametersMap(), input);
            TensorJson.data(t.getDatatype(), t.hasContents() ? t.getContents() : null,
                    raw ? r.getRawInputContents(i) : null, input);
        }
        if (r.getOutputsCount() > 0) {
            ArrayNode outputs = body.putArray("outputs");
            for (ModelInferRequest.InferRequestedOutputTensor o : r.getOutputsList()) {
                ObjectNode output = outputs.addObject();
                output.put("name", o.getName());
                TensorJson.parameters(o.getParametersMap(), output);
            }
        }
        return body;
    }

    /**
     * The message to forward: the original with what processors changed in the JSON — request
     * parameters, BYTES input elements, the requested outputs — taken over; everything else as it came.
     */
    static Message encode(KServeRpc rpc, Message original, byte[] json) {
        if (rpc != KServeRpc.MODEL_INFER && rpc != KServeRpc.MODEL_STREAM_INFER) {
            return original; // no processor rewrites these
        }
        JsonNode body;
        try {
            body = JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("a processor left the request body unreadable as JSON", e);
        }
        ModelInferRequest r = (ModelInferRequest) original;
        ModelInferRequest.Builder b = r.toBuilder().clearParameters().clearOutputs();
        b.putAllParameters(TensorJson.parameters(body, r.getParametersMap()));
        b.setId(body.path("id").asText(r.getId()));

        Map<String, JsonNode> inputsByName = new HashMap<>();
        body.path("inputs").forEach(in -> inputsByName.put(in.path("name").asText(), in));
        boolean raw = r.getRawInputContentsCount() > 0;
        for (int i = 0; i < r.getInputsCount(); i++) {
            ModelInferRequest.InferInputTensor t = r.getInputs(i);
            JsonNode in = inputsByName.get(t.getName());
            if (in == null || !t.getDatatype().equals("BYTES")) {
                continue;
            }
            List<ByteString> before = raw ? TensorJson.bytesElements(r.getRawInputContents(i))
                    : t.getContents().getBytesContentsList();
            List<ByteString> after = TensorJson.textElements(in, before.size());
            if (after == null || after.equals(before) || !before.stream().allMatch(TensorJson::isUtf8)) {
                continue;
            }
            if (raw) {
                b.setRawInputContents(i, TensorJson.rawBytes(after));
            } else {
                b.setInputs(i, t.toBuilder().setContents(InferTensorContents.newBuilder(t.getContents())
                        .clearBytesContents().addAllBytesContents(after)));
            }
        }
        for (JsonNode out : body.path("outputs")) {
            Map<String, io.gatehouse.kserve.grpc.InferParameter> was = r.getOutputsList().stream()
                    .filter(o -> o.getName().equals(out.path("name").asText())).findFirst()
                    .map(ModelInferRequest.InferRequestedOutputTensor::getParametersMap).orElse(Map.of());
            b.addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(out.path("name").asText())
                    .putAllParameters(TensorJson.parameters(out, was)));
        }
        return b.build();
    }

    private static ObjectNode repository(String repositoryName, Map<String, ModelRepositoryParameter> parameters) {
        ObjectNode body = JSON.createObjectNode();
        if (!repositoryName.isEmpty()) {
            body.put("repository_name", repositoryName);
        }
        if (!parameters.isEmpty()) {
            ObjectNode p = body.putObject("parameters");
            new TreeMap<>(parameters).forEach((name, v) -> {
                switch (v.getParameterChoiceCase()) {
                    case BOOL_PARAM -> p.put(name, v.getBoolParam());
                    case INT64_PARAM -> p.put(name, v.getInt64Param());
                    case STRING_PARAM -> p.put(name, v.getStringParam());
                    // Model files can be large: the record and the approval digest bind them by hash.
                    case BYTES_PARAM -> p.putObject(name).put("size", v.getBytesParam().size())
                            .put("sha256", TensorJson.sha256(v.getBytesParam()));
                    case PARAMETERCHOICE_NOT_SET -> p.putNull(name);
                }
            });
        }
        return body;
    }

    private static String modelPath(String model, String version) {
        if (model.isEmpty()) {
            throw new MalformedRequestException("the request names no model");
        }
        return "/v2/models/" + segment(model) + (version.isEmpty() ? "" : "/versions/" + segment(version));
    }

    /** A path segment: a name with '/' or other reserved characters cannot hide another path. */
    private static String segment(String name) {
        return java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }

    static byte[] write(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
