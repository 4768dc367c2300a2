package io.gatehouse.gateway.grpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.gatehouse.gateway.protocol.MalformedRequestException;
import io.gatehouse.kserve.grpc.InferParameter;
import io.gatehouse.kserve.grpc.InferTensorContents;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Tensor data and parameters between their gRPC form and the {@code data} / {@code parameters} of the
 * KServe v2 REST protocol. BYTES elements become JSON strings (the text processors read and mask);
 * numbers become JSON numbers. Raw contents (Triton's usual form) are decoded the same way, little-endian.
 * FP16 and BF16 have no JSON form: their tensor gets {@code binary_data_size} and the SHA-256 of its
 * bytes as parameters instead, so a record and an approval digest still bind them.
 */
final class TensorJson {

    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private TensorJson() {
    }

    /** Puts the tensor's elements into {@code into.data}. */
    static void data(String datatype, InferTensorContents contents, ByteString raw, ObjectNode into) {
        if (raw != null) {
            rawData(datatype, raw, into);
            return;
        }
        if (contents == null) {
            into.putArray("data");
            return;
        }
        ArrayNode data = into.putArray("data");
        switch (datatype) {
            case "BYTES" -> contents.getBytesContentsList().forEach(b -> data.add(text(b)));
            case "BOOL" -> contents.getBoolContentsList().forEach(data::add);
            case "INT8", "INT16", "INT32" -> contents.getIntContentsList().forEach(data::add);
            case "INT64" -> contents.getInt64ContentsList().forEach(data::add);
            case "UINT8", "UINT16", "UINT32" -> contents.getUintContentsList().forEach(v -> data.add(Integer.toUnsignedLong(v)));
            case "UINT64" -> contents.getUint64ContentsList().forEach(v -> data.add(new BigInteger(Long.toUnsignedString(v))));
            case "FP32" -> contents.getFp32ContentsList().forEach(data::add);
            case "FP64" -> contents.getFp64ContentsList().forEach(data::add);
            default -> throw new MalformedRequestException("tensor datatype '" + datatype + "' cannot be sent as typed"
                    + " contents; use raw contents");
        }
    }

    private static void rawData(String datatype, ByteString raw, ObjectNode into) {
        ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (datatype.equals("FP16") || datatype.equals("BF16")) {
            ObjectNode parameters = into.has("parameters") ? (ObjectNode) into.get("parameters") : into.putObject("parameters");
            parameters.put("binary_data_size", raw.size());
            parameters.put("binary_data_sha256", sha256(raw));
            return;
        }
        ArrayNode data = into.putArray("data");
        try {
            switch (datatype) {
                case "BYTES" -> bytesElements(raw).forEach(e -> data.add(text(e)));
                case "BOOL" -> { while (b.hasRemaining()) data.add(b.get() != 0); }
                case "INT8" -> { while (b.hasRemaining()) data.add(b.get()); }
                case "UINT8" -> { while (b.hasRemaining()) data.add(b.get() & 0xFF); }
                case "INT16" -> { while (b.hasRemaining()) data.add(b.getShort()); }
                case "UINT16" -> { while (b.hasRemaining()) data.add(b.getShort() & 0xFFFF); }
                case "INT32" -> { while (b.hasRemaining()) data.add(b.getInt()); }
                case "UINT32" -> { while (b.hasRemaining()) data.add(Integer.toUnsignedLong(b.getInt())); }
                case "INT64" -> { while (b.hasRemaining()) data.add(b.getLong()); }
                case "UINT64" -> { while (b.hasRemaining()) data.add(new BigInteger(Long.toUnsignedString(b.getLong()))); }
                case "FP32" -> { while (b.hasRemaining()) data.add(b.getFloat()); }
                case "FP64" -> { while (b.hasRemaining()) data.add(b.getDouble()); }
                default -> throw new MalformedRequestException("unknown tensor datatype '" + datatype + "'");
            }
        } catch (java.nio.BufferUnderflowException e) {
            throw new MalformedRequestException("raw contents of " + raw.size() + " bytes do not hold whole " + datatype
                    + " elements");
        }
    }

    /** The elements of raw BYTES contents: each a 4-byte little-endian length, then that many bytes. */
    static List<ByteString> bytesElements(ByteString raw) {
        List<ByteString> elements = new ArrayList<>();
        ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        int at = 0;
        while (b.remaining() > 0) {
            if (b.remaining() < 4) {
                throw new MalformedRequestException("raw BYTES contents end inside an element's length");
            }
            int length = b.getInt();
            at += 4;
            if (length < 0 || length > b.remaining()) {
                throw new MalformedRequestException("a raw BYTES element claims " + Integer.toUnsignedString(length)
                        + " bytes but " + b.remaining() + " remain");
            }
            elements.add(raw.substring(at, at + length));
            b.position(b.position() + length);
            at += length;
        }
        return elements;
    }

    /** Raw BYTES contents from elements. */
    static ByteString rawBytes(List<ByteString> elements) {
        ByteString.Output out = ByteString.newOutput();
        byte[] length = new byte[4];
        for (ByteString e : elements) {
            ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).putInt(e.size());
            out.write(length, 0, 4);
            try {
                e.writeTo(out);
            } catch (java.io.IOException impossible) {
                throw new java.io.UncheckedIOException(impossible); // a ByteString.Output never fails
            }
        }
        return out.toByteString();
    }

    /**
     * The BYTES elements a processor left in {@code data}, or null when the data is not a list of
     * {@code count} strings (then the original elements stay).
     */
    static List<ByteString> textElements(JsonNode tensor, int count) {
        JsonNode data = tensor.path("data");
        if (!data.isArray() || data.size() != count) {
            return null;
        }
        List<ByteString> elements = new ArrayList<>(count);
        for (JsonNode element : data) {
            if (!element.isTextual()) {
                return null;
            }
            elements.add(ByteString.copyFromUtf8(element.textValue()));
        }
        return elements;
    }

    /** A BYTES element as text: itself when it is UTF-8, else the SHA-256 of its bytes, marked. */
    private static String text(ByteString element) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(element.asReadOnlyByteBuffer()).toString();
        } catch (CharacterCodingException e) {
            return "[binary " + element.size() + " bytes sha256:" + sha256(element) + "]";
        }
    }

    static boolean isUtf8(ByteString element) {
        return element.isValidUtf8();
    }

    static String sha256(ByteString bytes) {
        try {
            java.security.MessageDigest digest = java.security.MessageDigest.getInstance("SHA-256");
            digest.update(bytes.asReadOnlyByteBuffer());
            return HexFormat.of().formatHex(digest.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    // ---- parameters ----

    /** Puts the parameters (sorted by name, so equal messages give equal JSON) into {@code into.parameters}. */
    static void parameters(Map<String, InferParameter> parameters, ObjectNode into) {
        if (parameters.isEmpty()) {
            return;
        }
        ObjectNode p = into.putObject("parameters");
        new TreeMap<>(parameters).forEach((name, value) -> {
            switch (value.getParameterChoiceCase()) {
                case BOOL_PARAM -> p.put(name, value.getBoolParam());
                case INT64_PARAM -> p.put(name, value.getInt64Param());
                case STRING_PARAM -> p.put(name, value.getStringParam());
                case DOUBLE_PARAM -> p.put(name, value.getDoubleParam());
                case UINT64_PARAM -> p.put(name, new BigInteger(Long.toUnsignedString(value.getUint64Param())));
                case PARAMETERCHOICE_NOT_SET -> p.putNull(name);
            }
        });
    }

    /** The parameters a processor left in {@code node.parameters}, the marks this class adds left out. */
    static Map<String, InferParameter> parameters(JsonNode node, Map<String, InferParameter> original) {
        JsonNode p = node.path("parameters");
        if (!p.isObject()) {
            return Map.of();
        }
        Map<String, InferParameter> out = new java.util.LinkedHashMap<>();
        p.fields().forEachRemaining(e -> {
            String name = e.getKey();
            if (name.equals("binary_data_size") && !original.containsKey(name) || name.equals("binary_data_sha256")) {
                return;
            }
            JsonNode v = e.getValue();
            InferParameter.Builder b = InferParameter.newBuilder();
            InferParameter was = original.get(name);
            if (v.isBoolean()) {
                b.setBoolParam(v.booleanValue());
            } else if (v.isIntegralNumber() && was != null && was.hasUint64Param()) {
                b.setUint64Param(v.bigIntegerValue().longValue());
            } else if (v.isIntegralNumber() && v.canConvertToLong()) {
                b.setInt64Param(v.longValue());
            } else if (v.isNumber()) {
                b.setDoubleParam(v.doubleValue());
            } else if (v.isTextual()) {
                b.setStringParam(v.textValue());
            } else if (was != null) {
                b = was.toBuilder();
            } else {
                return;
            }
            out.put(name, b.build());
        });
        return out;
    }

    static ArrayNode shape(List<Long> shape) {
        ArrayNode a = NODES.arrayNode();
        shape.forEach(a::add);
        return a;
    }
}
