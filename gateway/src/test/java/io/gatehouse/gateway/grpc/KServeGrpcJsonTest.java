package io.gatehouse.gateway.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.gatehouse.gateway.protocol.MalformedRequestException;
import io.gatehouse.kserve.grpc.InferParameter;
import io.gatehouse.kserve.grpc.InferTensorContents;
import io.gatehouse.kserve.grpc.ModelInferRequest;
import io.gatehouse.kserve.grpc.ModelInferResponse;
import io.gatehouse.kserve.grpc.RepositoryModelLoadRequest;
import io.gatehouse.kserve.grpc.ModelRepositoryParameter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class KServeGrpcJsonTest {

    private static ModelInferRequest.InferInputTensor.Builder input(String name, String datatype, long... shape) {
        ModelInferRequest.InferInputTensor.Builder b = ModelInferRequest.InferInputTensor.newBuilder().setName(name)
                .setDatatype(datatype);
        for (long s : shape) {
            b.addShape(s);
        }
        return b;
    }

    private static ByteString fp32(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return ByteString.copyFrom(b.array());
    }

    @Test
    void anInferRequestIsSeenAsTheRestRequestWithItsModelInThePathAndItsTensorsAsData() throws Exception {
        ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("demo-small").setModelVersion("2")
                .setId("r1").putParameters("temperature", InferParameter.newBuilder().setDoubleParam(0.5).build())
                .addInputs(input("text", "BYTES", 2).setContents(InferTensorContents.newBuilder()
                        .addBytesContents(ByteString.copyFromUtf8("a")).addBytesContents(ByteString.copyFromUtf8("b"))))
                .addInputs(input("ids", "INT64", 2).setContents(InferTensorContents.newBuilder()
                        .addInt64Contents(7).addInt64Contents(-1)))
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("echo"))
                .build();

        RequestJson.RestView rest = RequestJson.rest(KServeRpc.MODEL_INFER, request);

        assertThat(rest.method()).isEqualTo("POST");
        assertThat(rest.path()).isEqualTo("/v2/models/demo-small/versions/2/infer");
        assertThat(new String(rest.body())).isEqualTo("{\"id\":\"r1\",\"parameters\":{\"temperature\":0.5},"
                + "\"inputs\":[{\"name\":\"text\",\"shape\":[2],\"datatype\":\"BYTES\",\"data\":[\"a\",\"b\"]},"
                + "{\"name\":\"ids\",\"shape\":[2],\"datatype\":\"INT64\",\"data\":[7,-1]}],"
                + "\"outputs\":[{\"name\":\"echo\"}]}");
    }

    @Test
    void rawInputsAreDecodedLittleEndianAndAMaskedBytesElementGoesBackRawWhileNumbersStayAsTheyCame()
            throws Exception {
        ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("m")
                .addInputs(input("text", "BYTES", 1)).addInputs(input("x", "FP32", 2))
                .addRawInputContents(TensorJson.rawBytes(List.of(ByteString.copyFromUtf8("mail a@b.example"))))
                .addRawInputContents(fp32(1.5f, -2f))
                .build();
        JsonNode json = RequestJson.JSON.readTree(RequestJson.rest(KServeRpc.MODEL_INFER, request).body());
        assertThat(json.at("/inputs/1/data").toString()).isEqualTo("[1.5,-2.0]");

        ((ObjectNode) json.at("/inputs/0")).putArray("data").add("mail [EMAIL]");
        ModelInferRequest forwarded = (ModelInferRequest) RequestJson.encode(KServeRpc.MODEL_INFER, request,
                RequestJson.write(json));

        assertThat(TensorJson.bytesElements(forwarded.getRawInputContents(0)))
                .containsExactly(ByteString.copyFromUtf8("mail [EMAIL]"));
        assertThat(forwarded.getRawInputContents(1)).isEqualTo(fp32(1.5f, -2f));
        assertThat(forwarded.getInputsList()).isEqualTo(request.getInputsList());
    }

    @Test
    void rawContentsThatDoNotHoldWholeElementsAreAMalformedRequestNamingTheSizes() {
        ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("m")
                .addInputs(input("text", "BYTES", 1))
                .addRawInputContents(ByteString.copyFrom(new byte[] {9, 0, 0, 0, 'a'}))
                .build();

        assertThatThrownBy(() -> RequestJson.rest(KServeRpc.MODEL_INFER, request))
                .isInstanceOf(MalformedRequestException.class)
                .hasMessage("a raw BYTES element claims 9 bytes but 1 remain");
    }

    @Test
    void anFp16TensorHasNoJsonFormAndIsBoundByItsSizeAndHash() throws Exception {
        ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("m")
                .addInputs(input("half", "FP16", 2)).addRawInputContents(ByteString.copyFrom(new byte[] {1, 2, 3, 4}))
                .build();

        JsonNode json = RequestJson.JSON.readTree(RequestJson.rest(KServeRpc.MODEL_INFER, request).body());

        assertThat(json.at("/inputs/0/parameters/binary_data_size").asInt()).isEqualTo(4);
        assertThat(json.at("/inputs/0/parameters/binary_data_sha256").asText())
                .isEqualTo("9f64a747e1b97f131fabb6b447296c9b6f0201e79fb3c5356e6c77e89b6a806a");
        assertThat(json.at("/inputs/0").has("data")).isFalse();
    }

    @Test
    void aResponseLosesTheOutputsThePolicyRemovedAndKeepsItsRawFormForTheRest() throws Exception {
        ModelInferResponse response = ModelInferResponse.newBuilder().setModelName("m").setId("r1")
                .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("echo").setDatatype("BYTES")
                        .addShape(1))
                .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName("embedding").setDatatype("FP32")
                        .addShape(1).addShape(2))
                .addRawOutputContents(TensorJson.rawBytes(List.of(ByteString.copyFromUtf8("call 555-0100"))))
                .addRawOutputContents(fp32(0.25f, 0.5f))
                .build();
        ObjectNode json = (ObjectNode) ResponseJson.json(KServeRpc.MODEL_INFER, response);
        assertThat(json.at("/outputs/0/data/0").asText()).isEqualTo("call 555-0100");

        ((ObjectNode) json.at("/outputs/0")).putArray("data").add("call [PHONE]");
        ((com.fasterxml.jackson.databind.node.ArrayNode) json.get("outputs")).remove(1);
        ModelInferResponse back = (ModelInferResponse) ResponseJson.fromJson(KServeRpc.MODEL_INFER, response, json);

        assertThat(back.getOutputsList()).extracting(ModelInferResponse.InferOutputTensor::getName)
                .containsExactly("echo");
        assertThat(back.getRawOutputContentsCount()).isEqualTo(1);
        assertThat(TensorJson.bytesElements(back.getRawOutputContents(0)))
                .containsExactly(ByteString.copyFromUtf8("call [PHONE]"));
        assertThat(back.getId()).isEqualTo("r1");
    }

    @Test
    void aRepositoryLoadIsTheRestLoadWithModelFilesBoundByHashNotCopied() {
        RepositoryModelLoadRequest load = RepositoryModelLoadRequest.newBuilder().setModelName("demo-large")
                .putParameters("config", ModelRepositoryParameter.newBuilder().setStringParam("{}").build())
                .putParameters("file:1/model.onnx", ModelRepositoryParameter.newBuilder()
                        .setBytesParam(ByteString.copyFromUtf8("weights")).build())
                .build();

        RequestJson.RestView rest = RequestJson.rest(KServeRpc.REPOSITORY_MODEL_LOAD, load);

        assertThat(rest.path()).isEqualTo("/v2/repository/models/demo-large/load");
        assertThat(new String(rest.body())).isEqualTo("{\"parameters\":{\"config\":\"{}\",\"file:1/model.onnx\":"
                + "{\"size\":7,\"sha256\":\"" + TensorJson.sha256(ByteString.copyFromUtf8("weights")) + "\"}}}");
    }

    @Test
    void aModelNameCannotSmuggleAnotherPathSegment() {
        ModelInferRequest request = ModelInferRequest.newBuilder().setModelName("demo/../admin")
                .addInputs(input("t", "BYTES", 1).setContents(InferTensorContents.newBuilder()
                        .addBytesContents(ByteString.copyFromUtf8("x"))))
                .build();

        assertThat(RequestJson.rest(KServeRpc.MODEL_INFER, request).path()).isEqualTo("/v2/models/demo%2F..%2Fadmin/infer");
    }

    @Test
    void methodsAreFoundByTheJavaNameCamelGrpcGivesAndCarryTheirWirePath() {
        assertThat(KServeRpc.forJavaName("modelStreamInfer")).contains(KServeRpc.MODEL_STREAM_INFER);
        assertThat(KServeRpc.MODEL_STREAM_INFER.path()).isEqualTo("/inference.GRPCInferenceService/ModelStreamInfer");
        assertThat(KServeRpc.forJavaName("cudaSharedMemoryStatus")).contains(KServeRpc.CUDA_SHARED_MEMORY_STATUS);
        assertThat(KServeRpc.CUDA_SHARED_MEMORY_STATUS.served()).isFalse();
        assertThat(KServeRpc.forJavaName("noSuchMethod")).isEmpty();
    }
}
