package io.gatehouse.processors.masking;

import io.gatehouse.processors.support.MaskedAnswer;
import io.gatehouse.spi.ChunkTransformer;
import io.gatehouse.spi.Headers;
import java.nio.charset.Charset;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Masks bodies for a step that keeps a copy of what passed (the {@code recording} step stores its records
 * masked), with the readers the masking step uses: the {@code Content-Type} decides how a body is read
 * (event stream, NDJSON, JSON, text; binary is not read), and what cannot be read throws
 * {@link MaskingException} (a compressed body, JSON that does not parse, an SSE event that is neither JSON
 * nor {@code [DONE]} with a protocol, bytes that are not text in their charset). Thread-safe; a
 * {@link Stream} is one body's state.
 */
public final class BodyMasking {

    private final Masker masker;
    private final MaskingProtocol protocol;
    private final MaskingRules rules;

    public BodyMasking(Masker masker, MaskingProtocol protocol) {
        this.masker = Objects.requireNonNull(masker, "masker");
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        this.rules = MaskingRules.of(masker.config(), protocol);
    }

    /** The configured protocol, else {@code endpointProtocol} when masking knows it, else generic. */
    public static MaskingProtocol protocol(MaskingProtocol configured, String endpointProtocol) {
        return MaskingProcessorFactory.protocol(configured, endpointProtocol);
    }

    public MaskingProtocol protocol() {
        return protocol;
    }

    /**
     * A whole body masked.
     *
     * @param body   the masked body (the same array when nothing was masked or it is binary)
     * @param counts masked values per detector id
     * @param read   false when the body is binary and was left as it is
     */
    public record Result(byte[] body, Map<String, Integer> counts, boolean read) {
    }

    /**
     * Masks a whole request or response body.
     *
     * @param request true for a request body: JSON string values are masked, nothing is removed
     * @throws MaskingException when the body cannot be read (the message quotes no content)
     */
    public Result whole(byte[] body, Headers headers, boolean request) {
        return whole(body, headers, request, null);
    }

    /**
     * Masks a whole request or response body, or takes a response as it is when the masking step handed
     * exactly it on, masked under these very rules ({@link MaskedAnswer}): it already is the answer masked
     * as these rules mask it.
     *
     * @param handedOn what the masking step handed on for this exchange, or null
     * @throws MaskingException when the body cannot be read (the message quotes no content)
     */
    public Result whole(byte[] body, Headers headers, boolean request, MaskedAnswer handedOn) {
        checkReadable(headers, request);
        if (body.length == 0) {
            return new Result(body, Map.of(), true);
        }
        String contentType = headers.first("Content-Type").orElse(null);
        BodyKind kind = BodyKind.of(contentType, false, body);
        if (kind == BodyKind.BINARY) {
            return new Result(body, Map.of(), false);
        }
        if (!request && handedOn != null && handedOn.maskedAs(body, rules)) {
            return new Result(body, Map.of(), true);
        }
        MaskingCounts counts = new MaskingCounts();
        byte[] masked = WholeBody.run(transformer(kind, contentType, !request, counts), body);
        return new Result(masked, counts.snapshot(), true);
    }

    /**
     * A streamed response's masker; empty when the body is binary (it is not read).
     *
     * @throws MaskingException when the stream cannot be read at all (compressed, unknown charset)
     */
    public Optional<Stream> stream(Headers headers) {
        checkReadable(headers, false);
        String contentType = headers.first("Content-Type").orElse(null);
        BodyKind kind = BodyKind.of(contentType, true, null);
        if (kind == BodyKind.BINARY) {
            return Optional.empty();
        }
        MaskingCounts counts = new MaskingCounts();
        return Optional.of(new Stream(transformer(kind, contentType, true, counts), counts));
    }

    /**
     * One stream's masker: chunks in, masked chunks out (a value split across chunks is held back until it
     * can be masked whole). Not thread-safe: one body, used sequentially.
     */
    public static final class Stream {
        private final ChunkTransformer transformer;
        private final MaskingCounts counts;

        private Stream(ChunkTransformer transformer, MaskingCounts counts) {
            this.transformer = transformer;
            this.counts = counts;
        }

        /** The masked bytes this chunk lets out (possibly none). @throws MaskingException when unreadable */
        public byte[] onChunk(byte[] chunk) {
            return transformer.onChunk(chunk);
        }

        /** What was held back, masked. @throws MaskingException when unreadable */
        public byte[] onEnd() {
            return transformer.onEnd();
        }

        /** Masked values per detector id so far. */
        public Map<String, Integer> counts() {
            return counts.snapshot();
        }
    }

    private void checkReadable(Headers headers, boolean request) {
        Optional<String> encoding = headers.first("Content-Encoding");
        if (encoding.isPresent() && !encoding.get().equalsIgnoreCase("identity")) {
            throw new MaskingException("the body is " + encoding.get().toLowerCase(Locale.ROOT)
                    + "-encoded; masking reads only uncompressed bodies");
        }
        if (!request && protocol == MaskingProtocol.KSERVE_V2 && headers.contains("Inference-Header-Content-Length")) {
            throw new MaskingException("the body carries binary tensor data, which masking cannot read");
        }
        BodyKind.charset(headers.first("Content-Type").orElse(null));
    }

    private ChunkTransformer transformer(BodyKind kind, String contentType, boolean response, MaskingCounts counts) {
        Runnable none = () -> { };
        return switch (kind) {
            case SSE -> new SseMasking(masker, protocol, counts, none);
            case NDJSON -> new NdjsonMasking(masker, protocol, counts, none);
            case JSON -> new JsonWhole(masker, protocol, response, counts, null);
            case TEXT -> {
                Charset charset = BodyKind.charset(contentType);
                yield new TextMasking(masker, charset, counts, none);
            }
            case BINARY -> throw new IllegalStateException("binary bodies are not masked");
        };
    }
}
