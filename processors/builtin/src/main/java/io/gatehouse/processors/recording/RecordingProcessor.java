package io.gatehouse.processors.recording;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.spi.AttributeKey;
import io.gatehouse.spi.Completion;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.GatewayRequest;
import io.gatehouse.spi.GatewayResponse;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.audit.AuditEntry;
import io.gatehouse.spi.audit.AuditLog;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records each exchange as two events of the audit trail:
 *
 * <ul>
 *   <li>{@code start}, in the request phase: the request (headers without credentials, body
 *       redacted and cut to size), client address and operation. The request goes on only once the
 *       event is durable; if it cannot be made durable the exchange is answered 503 and not
 *       forwarded.</li>
 *   <li>{@code end}: for an answered exchange in {@code onResponseEnd}, before the client is given
 *       the end of the answer, so a client that saw a complete answer has a complete record; for
 *       every other outcome (denied by a later step, held, failed, client gone) in
 *       {@code onComplete}. It holds the identity (known only after {@code auth}), the decision and
 *       its rule, the response (each streamed chunk with its time), byte counts and duration.</li>
 * </ul>
 *
 * <p>An exchange whose end was already recorded and that then ends otherwise (the client left
 * before the last byte) gets an {@code amend} event. An exchange whose end never came (the gateway
 * died) is closed as {@code incomplete} by its replica at the next start. Thread-safe.
 */
public final class RecordingProcessor implements GatewayProcessor {

    /** The approval a held or approved exchange belongs to; the {@code approval} step sets it. */
    public static final AttributeKey<String> APPROVAL_ID = io.gatehouse.spi.StandardAttributes.APPROVAL_ID;
    /** The rule that allowed an exchange (a policy step sets it); a denial's rule is in the denial. */
    public static final AttributeKey<DecidingRule> POLICY_DECISION = io.gatehouse.spi.StandardAttributes.POLICY_DECISION;
    /** What the masking step replaced, by kind; recorded as it is. */
    @SuppressWarnings("rawtypes")
    public static final AttributeKey<Map> MASKING_COUNTS = io.gatehouse.spi.StandardAttributes.MASKING_COUNTS;

    static final AttributeKey<ExchangeRecord> STATE = AttributeKey.of("recording.exchange", ExchangeRecord.class);

    private static final Logger LOG = LoggerFactory.getLogger(RecordingProcessor.class);

    /**
     * Writes payloads canonical (object keys sorted, no whitespace), the form the audit log hashes as
     * given: equal records hash alike, as the store's own events do.
     */
    private static final ObjectWriter CANONICAL = JsonMapper.builder()
            .enable(JsonNodeFeature.WRITE_PROPERTIES_SORTED).build().writer();

    private final RecordingConfig config;
    private final AuditLog log;
    private final Clock clock;
    private final JsonRedactor redactor;
    private final java.util.List<String> redactedHeaders;
    private final StoredMasking masking;
    /** While the store is down every request fails the same way: one line per period, with a count. */
    private final OutageLog notForwarded = new OutageLog();
    private final OutageLog notDurable = new OutageLog();

    /** @param masking the recording's own masking ({@code recording.masking}), or null */
    RecordingProcessor(RecordingConfig config, AuditLog log, Clock clock, StoredMasking masking) {
        this.config = config;
        this.masking = masking;
        this.log = log;
        this.clock = clock;
        this.redactor = new JsonRedactor(config.redactJsonFields());
        this.redactedHeaders = config.redactedHeaderNames();
    }

    // ---- request phase: the start event, durable before the request goes on ----

    @Override
    public CompletionStage<Outcome> onRequestAsync(GatewayExchange exchange) {
        GatewayRequest request = exchange.request();
        Instant start = clock.instant();
        Scrubber scrubber = Scrubber.of(request.headers(), redactedHeaders);
        ExchangeRecord record = new ExchangeRecord(start, request.body().length, scrubber);
        exchange.attributes().put(STATE, record);

        ObjectNode payload = Bodies.JSON.createObjectNode();
        ObjectNode req = payload.putObject("request");
        req.put("method", request.method()).put("path", scrubber.text(request.path()))
                .put("query", scrubber.text(request.query())).put("clientAddress", address(request.clientAddress()));
        scrubber.headers(request.headers(), req.putObject("headers"));
        req.set("body", requestBody(request, record, scrubber));
        payload.set("operation", operation(exchange.operation()));
        AuditEntry entry = entry(AuditEntry.Kind.START, exchange, start, payload);

        return append(entry, exchange).handle((ok, error) -> {
            if (error == null) {
                record.started = true;
                return Outcome.proceed();
            }
            long unlogged = notForwarded.admit();
            if (unlogged >= 0) {
                LOG.error("request {} not forwarded: its start record cannot be made durable: {}{}",
                        exchange.requestId(), rootMessage(error), unlogged == 0 ? ""
                                : " (and " + unlogged + " more requests not logged in the last 10 s)");
            }
            return Outcome.deny(503, "Recording unavailable", "the gateway cannot record this exchange, so it was"
                            + " not forwarded; retry later",
                    new DecidingRule(RecordingProcessorFactory.ID, "store-unavailable",
                            "the audit store cannot take records"))
                    .withHeader("Retry-After", "2");
        });
    }

    /** The request body as stored: masked first when the recording masks; none of it when that fails. */
    private ObjectNode requestBody(GatewayRequest request, ExchangeRecord record, Scrubber scrubber) {
        byte[] body = request.body();
        if (masking == null || config.maxBodyBytes().bytes() == 0) {
            return Bodies.record(body, config.maxBodyBytes().bytes(), redactor, scrubber);
        }
        var masked = masking.whole(body, request.headers(), true).orElse(null);
        if (masked == null) {
            return Bodies.omitted(body.length);
        }
        record.requestMasked = masked.counts();
        return Bodies.record(body.length, masked.body(), config.maxBodyBytes().bytes(), redactor, scrubber);
    }

    // ---- response phase: watch the body, then the end event before the client's end ----

    @Override
    public void onResponse(GatewayExchange exchange) {
        ExchangeRecord record = exchange.attributes().get(STATE).orElse(null);
        GatewayResponse response = exchange.response().orElse(null);
        if (record == null || !record.started || response == null) {
            return;
        }
        ResponseCapture capture = new ResponseCapture(response.body().streamed(), config.maxBodyBytes().bytes(),
                redactor, clock, record.start.toEpochMilli(), masking, response.headers(), exchange.attributes());
        record.capture = capture;
        response.body().observe(capture);
    }

    @Override
    public CompletionStage<Void> onResponseEnd(GatewayExchange exchange) {
        ExchangeRecord record = exchange.attributes().get(STATE).orElse(null);
        if (record == null || !record.started || !record.end.compareAndSet(ExchangeRecord.End.NONE,
                ExchangeRecord.End.PENDING)) {
            return CompletableFuture.completedFuture(null);
        }
        int status = exchange.response().map(GatewayResponse::status).orElse(0);
        ObjectNode payload = end(exchange, record, "answered", "allowed", status,
                Duration.between(record.start, clock.instant()), null, null);
        AuditEntry entry = entry(AuditEntry.Kind.END, exchange, clock.instant(), payload);
        return append(entry, exchange).whenComplete((ok, error) -> record.end.set(error == null
                ? ExchangeRecord.End.DURABLE : ExchangeRecord.End.FAILED));
    }

    // ---- every other outcome ----

    @Override
    public void onComplete(GatewayExchange exchange, Completion completion) {
        ExchangeRecord record = exchange.attributes().get(STATE).orElse(null);
        if (record == null || !record.started) {
            return; // nothing was recorded, so nothing to close (the exchange was refused for that)
        }
        AuditEntry entry;
        if (record.end.get() == ExchangeRecord.End.DURABLE || record.end.get() == ExchangeRecord.End.PENDING) {
            if (completion.kind() == Completion.Kind.ANSWERED) {
                return;
            }
            ObjectNode payload = Bodies.JSON.createObjectNode();
            payload.put("outcome", outcome(completion.kind())).put("status", completion.status())
                    .put("durationMs", completion.duration().toMillis());
            if (completion.error() != null) {
                payload.put("error", text(record, completion.error()));
            }
            if (record.capture != null) {
                payload.put("bytesOut", record.capture.bytesSent());
            }
            entry = entry(AuditEntry.Kind.AMEND, exchange, clock.instant(), payload);
        } else {
            record.end.set(ExchangeRecord.End.PENDING);
            String decision = decision(exchange, completion);
            entry = entry(AuditEntry.Kind.END, exchange, clock.instant(), end(exchange, record,
                    outcome(completion.kind()), decision, completion.status(), completion.duration(),
                    completion.denial(), completion.error()));
        }
        log.append(entry).whenComplete((ok, error) -> {
            long unlogged = error == null ? -1 : notDurable.admit();
            if (unlogged >= 0) {
                LOG.warn("the {} record of request {} is not durable ({}); it will read as incomplete{}",
                        entry.kind().name().toLowerCase(java.util.Locale.ROOT), exchange.requestId(),
                        rootMessage(error), unlogged == 0 ? ""
                                : " (and " + unlogged + " more records not logged in the last 10 s)");
            }
        });
    }

    /**
     * Appends an event the exchange waits on: acknowledged on the exchange's own event loop when it has
     * one, so the pipeline goes on there without a hop through the log's threads.
     */
    private CompletionStage<Void> append(AuditEntry entry, GatewayExchange exchange) {
        var loop = exchange.eventLoop();
        return loop.isPresent() ? log.append(entry, loop.get()) : log.append(entry);
    }

    // ---- payloads ----

    private static AuditEntry entry(AuditEntry.Kind kind, GatewayExchange exchange, Instant time, ObjectNode payload) {
        try {
            return new AuditEntry(kind, exchange.requestId(), time, exchange.endpointId(),
                    CANONICAL.writeValueAsString(payload), RecordColumns.of(payload));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a record payload is a JSON tree and always writes", e);
        }
    }

    private ObjectNode end(GatewayExchange exchange, ExchangeRecord record, String outcome, String decision,
                           int status, Duration duration, Outcome.Deny denial, String error) {
        ObjectNode p = Bodies.JSON.createObjectNode();
        p.put("outcome", outcome).put("decision", decision).put("status", status).put("complete", true)
                .put("durationMs", duration.toMillis());
        Identity identity = exchange.identity().orElse(null);
        if (identity != null) {
            p.set("identity", identity(identity));
            p.put("username", identity.username());
            p.put("sessionId", sessionId(identity, record.start));
        } else {
            p.putNull("identity");
        }
        DecidingRule rule = denial != null ? denial.rule() : exchange.attributes().get(POLICY_DECISION).orElse(null);
        if (rule != null) {
            p.putObject("rule").put("policy", rule.policy()).put("rule", rule.rule())
                    .put("reason", text(record, rule.reason()));
        }
        if (denial != null) {
            ObjectNode d = p.putObject("denial");
            d.put("title", denial.title()).put("detail", text(record, denial.detail()));
            ObjectNode headers = d.putObject("headers");
            new java.util.TreeMap<>(denial.headers()).forEach((k, v) -> headers.put(k, record.scrubber.text(v)));
        }
        exchange.attributes().get(APPROVAL_ID).ifPresentOrElse(id -> p.put("approvalId", id),
                () -> p.putNull("approvalId"));
        // The config whose pipeline (policies, steps) decided this exchange, as it stood then.
        exchange.attributes().get(io.gatehouse.spi.StandardAttributes.CONFIG_VERSION)
                .ifPresent(v -> p.put("configVersion", v));
        if (error != null) {
            p.put("error", text(record, error));
        }
        @SuppressWarnings("unchecked")
        Map<Object, Object> maskingStep = exchange.attributes().get(MASKING_COUNTS).orElse(null);
        if (maskingStep != null) {
            ObjectNode m = p.putObject("masking");
            new java.util.TreeMap<>(maskingStep).forEach((k, v) -> m.put(String.valueOf(k),
                    v instanceof Number n ? n.longValue() : 0L));
        } else {
            p.putNull("masking");
        }
        p.put("bytesIn", record.bytesIn);
        ResponseCapture capture = record.capture;
        p.put("bytesOut", capture == null ? 0 : capture.bytesSent());
        GatewayResponse response = exchange.response().orElse(null);
        if (response != null && capture != null) {
            ObjectNode r = p.putObject("response");
            r.put("status", response.status()).put("streamed", response.body().streamed());
            record.scrubber.headers(response.headers(), r.putObject("headers"));
            r.set("body", capture.record(record.scrubber));
        }
        if (masking != null) {
            ObjectNode stored = p.putObject("storedMasking");
            counts(stored.putObject("request"), record.requestMasked);
            counts(stored.putObject("response"), capture == null ? Map.of() : capture.maskedCounts());
        } else {
            p.putNull("storedMasking");
        }
        return p;
    }

    private static void counts(ObjectNode into, Map<String, Integer> counts) {
        new java.util.TreeMap<>(counts).forEach(into::put);
    }

    /** A text of the end event: secrets scrubbed, and masked when the recording masks. */
    private String text(ExchangeRecord record, String text) {
        String scrubbed = record.scrubber.text(text);
        return masking == null ? scrubbed : masking.text(scrubbed);
    }

    private static ObjectNode identity(Identity identity) {
        ObjectNode i = Bodies.JSON.createObjectNode();
        i.put("subject", identity.subject()).put("username", identity.username()).put("issuer", identity.issuer())
                .put("clientId", identity.clientId()).put("acr", identity.acr()).put("sessionId", identity.sessionId());
        ArrayNode groups = i.putArray("groups");
        new TreeSet<>(identity.groups()).forEach(groups::add);
        ArrayNode roles = i.putArray("roles");
        new TreeSet<>(identity.roles()).forEach(roles::add);
        ArrayNode amr = i.putArray("amr");
        identity.amr().forEach(amr::add);
        return i;
    }

    /**
     * The token's {@code sid} when it has one; else one session per issuer, subject, client and UTC
     * day, so that a service account's calls of one day read as one session.
     */
    static String sessionId(Identity identity, Instant start) {
        if (identity.sessionId() != null && !identity.sessionId().isBlank()) {
            return identity.sessionId();
        }
        String day = start.atZone(ZoneOffset.UTC).toLocalDate().toString();
        return "derived-" + sha256Hex(identity.issuer() + "\n" + identity.subject() + "\n"
                + identity.clientId() + "\n" + day).substring(0, 16);
    }

    private static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static ObjectNode operation(Operation op) {
        ObjectNode o = Bodies.JSON.createObjectNode();
        o.put("protocol", op.protocol()).put("kind", op.kind().configName()).put("model", op.model())
                .put("stream", op.stream()).put("batch", op.batch());
        if (op.maxTokens().isPresent()) {
            o.put("maxTokens", op.maxTokens().getAsInt());
        } else {
            o.putNull("maxTokens");
        }
        return o;
    }

    static String outcome(Completion.Kind kind) {
        return kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    private static String decision(GatewayExchange exchange, Completion completion) {
        return switch (completion.kind()) {
            case ANSWERED -> "allowed";
            case DENIED -> "denied";
            case RESPONDED -> exchange.attributes().get(APPROVAL_ID).isPresent() || completion.status() == 202
                    ? "held" : "responded";
            case FAILED -> "failed";
            case CLIENT_GONE -> "client-gone";
        };
    }

    private static String address(InetSocketAddress address) {
        if (address == null) {
            return null;
        }
        String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    private static String rootMessage(Throwable error) {
        Throwable t = error;
        while ((t instanceof java.util.concurrent.CompletionException
                || t instanceof java.util.concurrent.ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    @Override
    public String toString() {
        return "recording[maxBodyBytes=" + config.maxBodyBytes().bytes() + ", redactHeaders=" + config.redactHeaders()
                + ", redactJsonFields=" + config.redactJsonFields() + ", retentionDays=" + config.retentionDays()
                + ", masking=" + (masking == null ? "none" : masking) + "]";
    }
}
