package io.gatehouse.samplemodel;

import com.google.protobuf.ByteString;
import io.gatehouse.kserve.grpc.InferParameter;
import io.gatehouse.kserve.grpc.InferTensorContents;
import io.gatehouse.kserve.grpc.ModelInferRequest;
import io.gatehouse.kserve.grpc.ModelInferResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The gRPC model's arithmetic, deterministic so tests know the answer. It reads the request's first
 * BYTES input (from {@code contents.bytes_contents}, or from {@code raw_input_contents} as 4-byte
 * little-endian length-prefixed elements) and computes:
 * <ul>
 *   <li>{@code echo} (BYTES, the input's shape): the elements verbatim;</li>
 *   <li>{@code length} (INT64, the input's shape): each element's length in bytes;</li>
 *   <li>{@code embedding} (FP32, {@code [batch, 4]}, batch = the input's first dimension, 1 for a
 *       scalar): for row b, the four big-endian signed 32-bit integers at the start of SHA-256 over that
 *       row's elements (each as its 4-byte little-endian length and bytes), each divided by 2^31.</li>
 * </ul>
 * Outputs come in the requested order, or all three in that order; in {@code raw_output_contents}
 * when the request used raw inputs, else in {@code contents}.
 */
final class EchoInference {

    static final String ECHO = "echo";
    static final String LENGTH = "length";
    static final String EMBEDDING = "embedding";
    static final String TEXT_OUTPUT = "text_output";
    static final List<String> OUTPUTS = List.of(ECHO, LENGTH, EMBEDDING);
    static final int EMBEDDING_SIZE = 4;
    static final String DELAY_PARAMETER = "delay_ms";
    static final long MAX_DELAY_MS = 60_000;

    /** The first BYTES input of a request. */
    record BytesInput(String name, List<Long> shape, List<ByteString> elements, boolean raw) {
    }

    private EchoInference() {
    }

    /** The first BYTES input with its elements; INVALID_ARGUMENT when there is none or it is malformed. */
    static BytesInput bytesInput(ModelInferRequest request) {
        boolean raw = request.getRawInputContentsCount() > 0;
        if (raw && request.getRawInputContentsCount() != request.getInputsCount()) {
            throw invalid("raw_input_contents has " + request.getRawInputContentsCount() + " entries for "
                    + request.getInputsCount() + " inputs; send one per input");
        }
        for (int i = 0; i < request.getInputsCount(); i++) {
            ModelInferRequest.InferInputTensor input = request.getInputs(i);
            if (!input.getDatatype().equals("BYTES")) {
                continue;
            }
            List<ByteString> elements = raw ? decodeRaw(input.getName(), request.getRawInputContents(i))
                    : input.getContents().getBytesContentsList();
            long expected = 1;
            for (long d : input.getShapeList()) {
                if (d < 0) {
                    throw invalid("input '" + input.getName() + "' has a negative dimension in shape "
                            + input.getShapeList());
                }
                expected *= d;
            }
            if (expected != elements.size()) {
                throw invalid("input '" + input.getName() + "' has shape " + input.getShapeList() + " (" + expected
                        + " elements) but carries " + elements.size());
            }
            return new BytesInput(input.getName(), input.getShapeList(), elements, raw);
        }
        List<String> seen = request.getInputsList().stream().map(t -> t.getName() + " (" + t.getDatatype() + ")").toList();
        throw invalid("the sample model needs a BYTES input; got " + (seen.isEmpty() ? "no inputs" : seen));
    }

    /** The answer to a ModelInfer request whose model is {@code model}. */
    static ModelInferResponse infer(ModelInferRequest request, String model) {
        BytesInput input = bytesInput(request);
        List<String> names = new ArrayList<>();
        for (ModelInferRequest.InferRequestedOutputTensor requested : request.getOutputsList()) {
            if (!OUTPUTS.contains(requested.getName())) {
                throw invalid("unknown output '" + requested.getName() + "'; the model's outputs are "
                        + String.join(", ", OUTPUTS));
            }
            names.add(requested.getName());
        }
        if (names.isEmpty()) {
            names.addAll(OUTPUTS);
        }
        ModelInferResponse.Builder response = ModelInferResponse.newBuilder()
                .setModelName(model).setModelVersion(ModelRepository.VERSION).setId(request.getId());
        for (String name : names) {
            ModelInferResponse.InferOutputTensor.Builder tensor = ModelInferResponse.InferOutputTensor.newBuilder()
                    .setName(name);
            InferTensorContents.Builder contents = InferTensorContents.newBuilder();
            ByteBuffer raw;
            switch (name) {
                case ECHO -> {
                    tensor.setDatatype("BYTES").addAllShape(input.shape());
                    contents.addAllBytesContents(input.elements());
                    raw = encodeRaw(input.elements());
                }
                case LENGTH -> {
                    tensor.setDatatype("INT64").addAllShape(input.shape());
                    raw = ByteBuffer.allocate(8 * input.elements().size()).order(ByteOrder.LITTLE_ENDIAN);
                    for (ByteString e : input.elements()) {
                        contents.addInt64Contents(e.size());
                        raw.putLong(e.size());
                    }
                }
                default -> {
                    long batch = input.shape().isEmpty() ? 1 : input.shape().get(0);
                    tensor.setDatatype("FP32").addShape(batch).addShape(EMBEDDING_SIZE);
                    float[] values = embedding(input.elements(), (int) batch);
                    raw = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
                    for (float v : values) {
                        contents.addFp32Contents(v);
                        raw.putFloat(v);
                    }
                }
            }
            if (input.raw()) {
                response.addRawOutputContents(ByteString.copyFrom(raw.flip()));
            } else {
                tensor.setContents(contents);
            }
            response.addOutputs(tensor);
        }
        return response.build();
    }

    /** {@code [batch, 4]} row-major; row b digests elements {@code [b * n / batch, (b + 1) * n / batch)}. */
    static float[] embedding(List<ByteString> elements, int batch) {
        float[] values = new float[batch * EMBEDDING_SIZE];
        int rowSize = batch == 0 ? 0 : elements.size() / batch;
        for (int b = 0; b < batch; b++) {
            MessageDigest sha;
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is missing from this JVM", e);
            }
            for (ByteString e : elements.subList(b * rowSize, (b + 1) * rowSize)) {
                sha.update(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(e.size()).array());
                sha.update(e.toByteArray());
            }
            ByteBuffer digest = ByteBuffer.wrap(sha.digest());
            for (int k = 0; k < EMBEDDING_SIZE; k++) {
                values[b * EMBEDDING_SIZE + k] = digest.getInt(4 * k) / 2147483648f;
            }
        }
        return values;
    }

    /** The elements of a raw BYTES tensor: each a 4-byte little-endian length, then that many bytes. */
    static List<ByteString> decodeRaw(String inputName, ByteString raw) {
        ByteBuffer in = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        List<ByteString> elements = new ArrayList<>();
        while (in.hasRemaining()) {
            int length = in.remaining() >= 4 ? in.getInt() : -1;
            if (length < 0 || length > in.remaining()) {
                throw invalid("raw contents of input '" + inputName
                        + "' are not 4-byte little-endian length-prefixed BYTES elements");
            }
            ByteBuffer element = in.slice();
            element.limit(length);
            elements.add(ByteString.copyFrom(element));
            in.position(in.position() + length);
        }
        return elements;
    }

    /** The raw form of BYTES elements. */
    static ByteBuffer encodeRaw(List<ByteString> elements) {
        int size = elements.stream().mapToInt(e -> 4 + e.size()).sum();
        ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        for (ByteString e : elements) {
            out.putInt(e.size());
            e.copyTo(out);
        }
        return out;
    }

    /** The request's {@value #DELAY_PARAMETER} parameter (int64, 0 to 60000), 0 when absent. */
    static long delayMillis(ModelInferRequest request) {
        InferParameter p = request.getParametersMap().get(DELAY_PARAMETER);
        if (p == null) {
            return 0;
        }
        if (p.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.INT64_PARAM) {
            throw invalid("parameter '" + DELAY_PARAMETER + "' must be an int64_param");
        }
        long delay = p.getInt64Param();
        if (delay < 0 || delay > MAX_DELAY_MS) {
            throw invalid("parameter '" + DELAY_PARAMETER + "' must be from 0 to " + MAX_DELAY_MS + ", got " + delay);
        }
        return delay;
    }

    /** The first element of the first BYTES input as UTF-8 text, "" when it has no elements. */
    static String firstText(BytesInput input) {
        return input.elements().isEmpty() ? "" : input.elements().get(0).toString(StandardCharsets.UTF_8);
    }

    static StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }
}
