package io.gatehouse.store.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.store.Store;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the console plots, from the end records of a time window (the admin API's own calls left
 * out): exchanges per time bucket by decision, p50 and p99 latency per bucket, denials by policy rule,
 * masked values by detector and the top callers. At most {@link #MAX_RECORDS} records are read, the
 * newest first; the answer says when the window held more.
 */
public final class AuditStats {

    public static final int MAX_RECORDS = 50_000;
    private static final int TOP = 10;
    private static final DateTimeFormatter LABEL = DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneOffset.UTC);

    private final Store store;

    public AuditStats(Store store) {
        this.store = store;
    }

    /** Stats of the window ending now: 60 buckets of a minute for an hour, 96 of 15 minutes for a day. */
    public ObjectNode window(Duration window, Instant now) throws SQLException {
        int bucketCount = window.compareTo(Duration.ofHours(1)) <= 0 ? 60 : 96;
        long bucketMicros = window.toNanos() / 1000 / bucketCount;
        long endMicros = EventDraft.micros(now);
        long startMicros = endMicros - bucketMicros * bucketCount;
        List<Map<String, Integer>> decisions = new ArrayList<>();
        List<List<Long>> durations = new ArrayList<>();
        for (int i = 0; i < bucketCount; i++) {
            decisions.add(new TreeMap<>());
            durations.add(new ArrayList<>());
        }
        Map<String, Integer> denials = new HashMap<>();
        Map<String, Long> masked = new HashMap<>();
        Map<String, Integer> callers = new HashMap<>();
        TreeSet<String> seenDecisions = new TreeSet<>();
        int records = 0;
        boolean truncated = false;
        try (Connection c = store.connection(); PreparedStatement ps = c.prepareStatement("SELECT event_time, username,"
                + " decision, payload FROM audit_event WHERE event_type = 'end' AND event_time >= ? AND endpoint_id <>"
                + " 'admin' ORDER BY event_time DESC LIMIT " + (MAX_RECORDS + 1))) {
            ps.setFetchSize(1000);
            ps.setLong(1, startMicros);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (records == MAX_RECORDS) {
                        truncated = true;
                        break;
                    }
                    records++;
                    int bucket = (int) Math.min(bucketCount - 1, (rs.getLong(1) - startMicros) / bucketMicros);
                    String decision = rs.getString(3) == null ? "unknown" : rs.getString(3);
                    seenDecisions.add(decision);
                    decisions.get(bucket).merge(decision, 1, Integer::sum);
                    String user = rs.getString(2);
                    if (user != null) {
                        callers.merge(user, 1, Integer::sum);
                    }
                    JsonNode p = AuditQuery.parseOrEmpty(rs.getString(4));
                    if (p.has("durationMs")) {
                        durations.get(bucket).add(p.get("durationMs").asLong());
                    }
                    if ("denied".equals(decision) && p.path("rule").isObject()) {
                        denials.merge(p.path("rule").path("policy").asText("?") + " / "
                                + p.path("rule").path("rule").asText("?"), 1, Integer::sum);
                    }
                    JsonNode counts = p.path("masking").isObject() ? p.path("masking") : null;
                    if (counts != null) {
                        counts.fields().forEachRemaining(f -> masked.merge(f.getKey(), f.getValue().asLong(), Long::sum));
                    } else if (p.path("storedMasking").isObject()) {
                        for (String side : List.of("request", "response")) {
                            p.path("storedMasking").path(side).fields().forEachRemaining(f -> masked.merge(f.getKey(),
                                    f.getValue().asLong(), Long::sum));
                        }
                    }
                }
            }
        }
        ObjectNode out = CanonicalJson.object();
        out.put("window", window.toString()).put("from", EventDraft.instant(startMicros).toString())
                .put("to", now.toString()).put("records", records).put("truncated", truncated)
                .put("bucketLabel", bucketCount == 60 ? "minute" : "15 minutes");
        ArrayNode ds = out.putArray("decisions");
        seenDecisions.forEach(ds::add);
        ArrayNode buckets = out.putArray("buckets");
        for (int i = 0; i < bucketCount; i++) {
            ObjectNode b = buckets.addObject();
            b.put("start", EventDraft.instant(startMicros + i * bucketMicros).toString())
                    .put("label", LABEL.format(EventDraft.instant(startMicros + i * bucketMicros)));
            ObjectNode by = b.putObject("byDecision");
            decisions.get(i).forEach(by::put);
            long[] d = durations.get(i).stream().mapToLong(Long::longValue).sorted().toArray();
            b.put("count", decisions.get(i).values().stream().mapToInt(Integer::intValue).sum());
            b.put("p50", percentile(d, 50));
            b.put("p99", percentile(d, 99));
        }
        top(out.putArray("denialsByRule"), denials);
        top(out.putArray("maskedByDetector"), masked);
        top(out.putArray("topCallers"), callers);
        return out;
    }

    /** Nearest-rank percentile; 0 for no values. */
    static long percentile(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static <N extends Number> void top(ArrayNode into, Map<String, N> counts) {
        counts.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue().longValue(), a.getValue().longValue()))
                .limit(TOP).forEach(e -> into.addObject().put("name", e.getKey()).put("count", e.getValue().longValue()));
    }
}
