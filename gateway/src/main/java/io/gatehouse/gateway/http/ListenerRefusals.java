package io.gatehouse.gateway.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.engine.RequestIds;
import io.gatehouse.spi.audit.AuditEntry;
import io.gatehouse.spi.audit.AuditLog;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit records of one listener's own refusals: the requests and connections it turns away before any
 * endpoint sees them (CONNECT, unreadable or authority-form targets, unknown paths and methods, framing it
 * cannot parse, oversized bodies, header/body timeouts, unused idle connections, one connection over
 * {@code maxConnections}). Each is written to the audit chain as a denied exchange of the pseudo-endpoint
 * {@code listener:<name>}: a start (method, raw path without its query, client address; no headers, no
 * body) and an end (status, the listener's rule and reason), under the request id the client was given.
 *
 * <p>A flood of refusals must not become a flood of audit writes: at most
 * {@code listeners.<name>.refusalRecordsPerSecond} are recorded one by one in each second; the others are
 * counted, by rule, and written as one summary record ({@code rule: refusals-not-recorded-individually},
 * the count and the count by rule) at the end of that second. Thread-safe; nothing here runs for a request
 * the listener accepts.
 */
public final class ListenerRefusals {

    /** Where a channel finds its listener's refusals ({@link #of(Channel)}). */
    static final AttributeKey<ListenerRefusals> KEY = AttributeKey.valueOf("gatehouse.listenerRefusals");
    /** The rule of a summary record. */
    public static final String SUMMARY_RULE = "refusals-not-recorded-individually";
    /** The policy name a listener's refusals are recorded under. */
    public static final String POLICY = "listener";

    private static final Logger LOG = LoggerFactory.getLogger(ListenerRefusals.class);
    private static final long SECOND = 1_000_000_000L;
    private static final int MAX_PATH = 256;
    private static final int MAX_DETAIL = 512;
    /** A query string inside a quoted target may carry a key: never recorded. */
    private static final Pattern QUERY = Pattern.compile("\\?[^'\\s]*");
    private static final ObjectWriter CANONICAL = JsonMapper.builder()
            .enable(JsonNodeFeature.WRITE_PROPERTIES_SORTED).build().writer();
    private static final JsonMapper JSON = new JsonMapper();

    private final String listener;
    private final String endpointId;
    private final int perSecond;
    private final AuditLog log;
    private final Clock clock;
    private final java.util.function.LongSupplier nanoTime;
    private final AtomicLong windowStart;
    private final AtomicInteger inWindow = new AtomicInteger();
    private final LongAdder suppressed = new LongAdder();
    private final Map<String, LongAdder> suppressedByRule = new ConcurrentHashMap<>();
    private final AtomicBoolean summaryPending = new AtomicBoolean();
    private final AtomicLong suppressedSince = new AtomicLong();
    private final LongAdder recorded = new LongAdder();
    private final LongAdder summaries = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final AtomicLong lastFailureLog = new AtomicLong(System.nanoTime() - 10 * SECOND);

    /**
     * @param log       the audit log; null records nothing (the refusals are still logged by their handlers)
     * @param perSecond refusals recorded one by one per second; the rest go into summaries
     */
    public ListenerRefusals(String listener, int perSecond, AuditLog log, Clock clock) {
        this(listener, perSecond, log, clock, System::nanoTime);
    }

    /** @param nanoTime the ticker the seconds are counted on (tests) */
    ListenerRefusals(String listener, int perSecond, AuditLog log, Clock clock, java.util.function.LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.windowStart = new AtomicLong(nanoTime.getAsLong());
        this.listener = listener;
        this.endpointId = "listener:" + listener;
        this.perSecond = perSecond;
        this.log = log;
        this.clock = clock;
    }

    /** The refusals of {@code channel}'s listener; a channel of no gateway listener records nothing. */
    public static ListenerRefusals of(Channel channel) {
        ListenerRefusals r = channel.attr(KEY).get();
        return r != null ? r : new ListenerRefusals("unknown", 0, null, Clock.systemUTC());
    }

    /** Lets the channel's handlers (and the endpoint routes) find these refusals. */
    void attach(Channel channel) {
        channel.attr(KEY).set(this);
    }

    /**
     * Records one refusal (or counts it for the summary).
     *
     * @param requestId the id the client was told, or null when it was told nothing (a new one is made)
     * @param status    the status answered; 0 when the connection was closed without an answer
     * @param method    the request's method; null when no request head was read
     * @param path      the request's raw path; null when none was read
     */
    public void refused(Channel channel, String requestId, int status, String rule, String title, String detail,
                        String method, String path) {
        if (log == null) {
            return;
        }
        if (!admit()) {
            suppressed.increment();
            suppressedByRule.computeIfAbsent(rule, r -> new LongAdder()).increment();
            suppressedSince.compareAndSet(0, clock.millis());
            if (summaryPending.compareAndSet(false, true)) {
                long left = Math.max(1, SECOND - (nanoTime.getAsLong() - windowStart.get()));
                schedule(channel, left);
            }
            return;
        }
        String id = requestId != null ? requestId : RequestIds.next();
        Instant now = clock.instant();
        ObjectNode start = JSON.createObjectNode();
        ObjectNode request = start.putObject("request");
        request.put("method", method).put("path", path == null ? null : cut(stripQuery(path), MAX_PATH))
                .put("clientAddress", address(channel == null ? null : channel.remoteAddress()));
        start.put("listener", listener);
        ObjectNode end = JSON.createObjectNode();
        end.put("outcome", status == 0 ? "closed" : "denied").put("decision", "denied").put("complete", true)
                .put("durationMs", 0).putNull("identity").put("listener", listener);
        if (status != 0) {
            end.put("status", status);
        }
        String reason = cut(stripQuery(detail), MAX_DETAIL);
        end.putObject("rule").put("policy", POLICY).put("rule", rule).put("reason", reason);
        end.putObject("denial").put("title", title).put("detail", reason);
        append(id, now, start, end);
        recorded.increment();
    }

    /** Whether this refusal is recorded one by one: the first {@code perSecond} of each second are. */
    private boolean admit() {
        long now = nanoTime.getAsLong();
        long startedAt = windowStart.get();
        if (now - startedAt >= SECOND && windowStart.compareAndSet(startedAt, now)) {
            inWindow.set(0);
        }
        return inWindow.incrementAndGet() <= perSecond;
    }

    private void schedule(Channel channel, long delayNanos) {
        ScheduledExecutorService executor = channel != null ? channel.eventLoop() : null;
        if (executor == null) {
            flush();
            return;
        }
        try {
            executor.schedule(this::flush, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RuntimeException shuttingDown) {
            flush();
        }
    }

    /** Writes the summary of the refusals not recorded one by one since the last one, if any. */
    public void flush() {
        summaryPending.set(false);
        long count = suppressed.sumThenReset();
        if (count == 0 || log == null) {
            return;
        }
        Map<String, Long> byRule = new TreeMap<>();
        suppressedByRule.forEach((rule, n) -> {
            long c = n.sumThenReset();
            if (c > 0) {
                byRule.put(rule, c);
            }
        });
        long since = suppressedSince.getAndSet(0);
        Instant now = clock.instant();
        ObjectNode start = JSON.createObjectNode();
        start.putObject("request").putNull("method").putNull("path").putNull("clientAddress");
        start.put("listener", listener);
        ObjectNode end = JSON.createObjectNode();
        end.put("outcome", "summarised").put("decision", "denied").put("complete", true).putNull("identity")
                .put("listener", listener).put("durationMs", since == 0 ? 0 : Math.max(0, now.toEpochMilli() - since));
        String reason = count + " refusal(s) of listener '" + listener + "' over its " + perSecond
                + " recorded per second (listeners.<name>.refusalRecordsPerSecond)";
        end.putObject("rule").put("policy", POLICY).put("rule", SUMMARY_RULE).put("reason", reason);
        ObjectNode refusals = end.putObject("refusals");
        refusals.put("notRecordedIndividually", count);
        if (since != 0) {
            refusals.put("from", Instant.ofEpochMilli(since).toString());
        }
        refusals.put("until", now.toString());
        ObjectNode rules = refusals.putObject("byRule");
        byRule.forEach(rules::put);
        append(RequestIds.next(), now, start, end);
        summaries.increment();
    }

    private void append(String id, Instant time, ObjectNode start, ObjectNode end) {
        try {
            log.append(new AuditEntry(AuditEntry.Kind.START, id, time, endpointId, CANONICAL.writeValueAsString(start)))
                    .whenComplete((ok, error) -> failedIf(error));
            log.append(new AuditEntry(AuditEntry.Kind.END, id, time, endpointId, CANONICAL.writeValueAsString(end)))
                    .whenComplete((ok, error) -> failedIf(error));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a record payload is a JSON tree and always writes", e);
        } catch (RuntimeException e) {
            failedIf(e);
        }
    }

    private void failedIf(Throwable error) {
        if (error == null) {
            return;
        }
        failed.increment();
        long now = System.nanoTime();
        long last = lastFailureLog.get();
        if (now - last >= 10 * SECOND && lastFailureLog.compareAndSet(last, now)) {
            LOG.warn("listener {}: a refusal could not be recorded ({} so far): {}", listener, failed.sum(),
                    error.getMessage());
        }
    }

    /** Refusals recorded one by one so far. */
    public long recorded() {
        return recorded.sum();
    }

    /** Summary records written so far. */
    public long summaries() {
        return summaries.sum();
    }

    /** Audit appends that failed (store down, queue full). */
    public long failed() {
        return failed.sum();
    }

    String listener() {
        return listener;
    }

    private static String stripQuery(String text) {
        return text == null ? null : QUERY.matcher(text).replaceAll("?…");
    }

    private static String cut(String text, int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max) + "…";
    }

    private static String address(SocketAddress address) {
        if (!(address instanceof InetSocketAddress a)) {
            return null;
        }
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
