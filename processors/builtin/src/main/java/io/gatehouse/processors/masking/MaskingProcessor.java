package io.gatehouse.processors.masking;

import io.gatehouse.processors.support.MaskedAnswer;
import io.gatehouse.processors.support.ParsedAnswer;
import io.gatehouse.spi.AttributeKey;
import io.gatehouse.spi.ChunkTransformer;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.GatewayRequest;
import io.gatehouse.spi.GatewayResponse;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.ResponseBody;
import java.nio.charset.Charset;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Masks personal data and secrets in responses (and, when configured, in requests before the model).
 * Whole bodies are masked before the head is sent, so they carry {@code Gatehouse-Masked: N}; streams are
 * masked as they pass, holding back at most the window, and report their count only in
 * {@link #REPORT}. Anything masking cannot read is not passed on (fail closed). Thread-safe: per-exchange
 * state lives in the transformers it attaches.
 */
public final class MaskingProcessor implements GatewayProcessor {

    /** The counts of one exchange, for the audit record. */
    public static final AttributeKey<MaskingReport> REPORT = AttributeKey.of("masking.report", MaskingReport.class);

    /**
     * The same counts as one map, request and response added up per detector id, under the name the
     * {@code recording} step reads ({@code masking.counts}) so the audit record carries them.
     */
    @SuppressWarnings("rawtypes")
    public static final AttributeKey<Map> COUNTS = io.gatehouse.spi.StandardAttributes.MASKING_COUNTS;

    /** Response header with the number of values masked in a whole body. */
    public static final String HEADER = "Gatehouse-Masked";

    private final MaskingConfig config;
    private final Masker masker;
    private final MaskingProtocol protocol;
    private final MaskingRules rules;

    MaskingProcessor(MaskingConfig config, Masker masker, MaskingProtocol protocol) {
        this.config = config;
        this.masker = masker;
        this.protocol = protocol;
        this.rules = MaskingRules.of(config, protocol);
    }

    @Override
    public Outcome onRequest(GatewayExchange exchange) {
        if (!config.request()) {
            return Outcome.proceed();
        }
        if (exempt(exchange)) {
            exchange.attributes().put(REPORT, MaskingReport.EXEMPT);
            return Outcome.proceed();
        }
        GatewayRequest request = exchange.request();
        byte[] body = request.body();
        if (body.length == 0) {
            return Outcome.proceed();
        }
        Optional<String> encoding = request.headers().first("Content-Encoding");
        if (encoding.isPresent() && !encoding.get().equalsIgnoreCase("identity")) {
            return refuse("the request body is " + encoding.get() + "-encoded; masking reads only uncompressed bodies");
        }
        String contentType = request.headers().first("Content-Type").orElse(null);
        MaskingCounts counts = new MaskingCounts();
        byte[] masked;
        try {
            BodyKind kind = BodyKind.of(contentType, false, body);
            if (kind == BodyKind.BINARY) {
                return Outcome.proceed();
            }
            masked = WholeBody.run(transformer(kind, contentType, false, counts, () -> { }, null), body);
        } catch (MaskingException e) {
            return refuse(e.getMessage());
        }
        if (counts.total() > 0) {
            request.replaceBody(masked);
        }
        publish(exchange, new MaskingReport(counts.snapshot(), Map.of(), false));
        return Outcome.proceed();
    }

    @Override
    public void onResponse(GatewayExchange exchange) {
        if (!config.response()) {
            return;
        }
        if (exempt(exchange)) {
            exchange.attributes().put(REPORT, MaskingReport.EXEMPT);
            return;
        }
        GatewayResponse response = exchange.response().orElseThrow();
        ResponseBody body = response.body();
        Headers headers = response.headers();
        String refusal = unreadable(headers);
        if (refusal != null) {
            body.transform(failing(refusal));
            return;
        }
        String contentType = headers.first("Content-Type").orElse(null);
        Optional<byte[]> whole = body.streamed() ? Optional.empty() : body.whole();
        BodyKind kind;
        try {
            kind = BodyKind.of(contentType, body.streamed(), whole.orElse(null));
            BodyKind.charset(contentType);
        } catch (MaskingException e) {
            body.transform(failing(e.getMessage()));
            return;
        }
        if (kind == BodyKind.BINARY) {
            return;
        }
        MaskingCounts counts = new MaskingCounts();
        Runnable progress = new Progress(exchange, counts);
        if (body.streamed()) {
            body.transform(transformer(kind, contentType, true, counts, progress, null));
            return;
        }
        ParsedAnswer parsed = ParsedAnswer.of(exchange.attributes());
        Supplier<ChunkTransformer> later = () -> transformer(kind, contentType, true, counts, progress, parsed);
        Consumer<byte[]> handedOn = masked -> MaskedAnswer.offer(exchange.attributes(), masked, rules,
                config.fields().isEmpty());
        if (whole.isEmpty()) {
            // An earlier step transforms the body too: mask what it hands on, without a header.
            body.transform(new WholeBody(null, null, later, handedOn));
            return;
        }
        byte[] masked;
        try {
            masked = WholeBody.run(later.get(), whole.get());
        } catch (MaskingException e) {
            body.transform(failing(e.getMessage()));
            return;
        }
        headers.set(HEADER, Integer.toString(counts.total()));
        progress.run();
        body.transform(new WholeBody(whole.get(), masked, later, handedOn));
    }

    /** Why the response cannot be read, or null. */
    private String unreadable(Headers headers) {
        Optional<String> encoding = headers.first("Content-Encoding");
        if (encoding.isPresent() && !encoding.get().equalsIgnoreCase("identity")) {
            return "the response is " + encoding.get().toLowerCase(Locale.ROOT)
                    + "-encoded; masking reads only uncompressed bodies";
        }
        if (protocol == MaskingProtocol.KSERVE_V2 && headers.contains("Inference-Header-Content-Length")) {
            return "the response carries binary tensor data (Inference-Header-Content-Length), which masking cannot"
                    + " read";
        }
        return null;
    }

    private ChunkTransformer transformer(BodyKind kind, String contentType, boolean response, MaskingCounts counts,
                                         Runnable progress, ParsedAnswer parsed) {
        return switch (kind) {
            case SSE -> new SseMasking(masker, protocol, counts, progress);
            case NDJSON -> new NdjsonMasking(masker, protocol, counts, progress);
            case JSON -> new JsonWhole(masker, protocol, response, counts, parsed);
            case TEXT -> {
                Charset charset = BodyKind.charset(contentType);
                yield new TextMasking(masker, charset, counts, progress);
            }
            case BINARY -> throw new IllegalStateException("binary bodies are not masked");
        };
    }

    private static ChunkTransformer failing(String message) {
        return new ChunkTransformer() {
            @Override
            public byte[] onChunk(byte[] chunk) {
                throw new MaskingException(message);
            }

            @Override
            public byte[] onEnd() {
                throw new MaskingException(message);
            }
        };
    }

    private boolean exempt(GatewayExchange exchange) {
        return !config.exemptGroups().isEmpty() && exchange.identity()
                .map(identity -> !Collections.disjoint(identity.groups(), config.exemptGroups())).orElse(false);
    }

    private static Outcome refuse(String reason) {
        return Outcome.deny(400, "Request cannot be masked", reason + ".",
                new DecidingRule(MaskingProcessorFactory.ID, "request-body", reason));
    }

    /** Publishes the response counts to the exchange whenever they changed. */
    private static final class Progress implements Runnable {
        private final GatewayExchange exchange;
        private final MaskingCounts counts;
        private int published = -1;

        Progress(GatewayExchange exchange, MaskingCounts counts) {
            this.exchange = exchange;
            this.counts = counts;
        }

        @Override
        public void run() {
            if (counts.total() == published) {
                return;
            }
            published = counts.total();
            Map<String, Integer> request = exchange.attributes().get(REPORT).map(MaskingReport::request)
                    .orElse(Map.of());
            publish(exchange, new MaskingReport(request, counts.snapshot(), false));
        }
    }

    /** Puts the report, and its counts for the recording, on the exchange. */
    private static void publish(GatewayExchange exchange, MaskingReport report) {
        exchange.attributes().put(REPORT, report);
        Map<String, Integer> total = new java.util.TreeMap<>(report.request());
        report.response().forEach((id, n) -> total.merge(id, n, Integer::sum));
        exchange.attributes().put(COUNTS, Map.copyOf(total));
    }

    @Override
    public String toString() {
        return "masking[protocol=" + protocol.configName() + ", request=" + config.request() + ", response="
                + config.response() + ", detectors=" + config.detectors().keySet() + "]";
    }
}
