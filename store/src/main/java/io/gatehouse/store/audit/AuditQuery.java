package io.gatehouse.store.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.store.Store;
import java.io.IOException;
import java.io.Writer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads recordings back: a filtered list of exchanges, one exchange's full record (its start, end
 * and amendments merged), a replay of its request and response, and the JSON Lines export for a
 * SIEM. Thread-safe; each call takes a pooled connection.
 */
public final class AuditQuery {

    /** Most rows a list returns. */
    public static final int MAX_LIMIT = 1000;

    private static final Pattern REPLICA_SEQ = Pattern.compile("([a-z0-9][a-z0-9-]{0,63}):([0-9]{1,18})");

    private final Store store;

    public AuditQuery(Store store) {
        this.store = store;
    }

    /**
     * What a list keeps; null fields do not filter.
     *
     * @param decision allowed, denied, held, responded, failed, client-gone, incomplete, or {@code open}
     *                 (started and not ended yet)
     */
    public record Filter(String user, String endpoint, Instant since, String decision, String session, int limit) {
        public Filter {
            if (limit < 1 || limit > MAX_LIMIT) {
                throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
            }
        }
    }

    /** Exchanges newest first, as summary objects. */
    public ArrayNode list(Filter filter) throws SQLException {
        return page(new Search(filter.user(), null, filter.endpoint(), null, filter.decision(), null,
                filter.since(), null, filter.session(), null, filter.limit())).rows();
    }

    /**
     * What a page of exchanges keeps; null fields do not filter.
     *
     * @param group  a group of the caller (from the end record's identity)
     * @param model  the model the request named
     * @param status the HTTP status answered
     * @param until  started before this time
     * @param before the {@link Page#next()} cursor of the page before: this page starts after it
     */
    public record Search(String user, String group, String endpoint, String model, String decision, Integer status,
                         Instant since, Instant until, String session, String before, int limit) {
        public Search {
            if (limit < 1 || limit > MAX_LIMIT) {
                throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
            }
            if (before != null && !CURSOR.matcher(before).matches()) {
                throw new IllegalArgumentException("before '" + before.replaceAll("[^ -~]", "?") + "' is not a cursor"
                        + " this API gave (next of the page before)");
            }
        }
    }

    /**
     * A page of exchanges, newest first.
     *
     * @param next    the cursor for the next (older) page, or null at the end
     * @param scanned records looked at to fill it (more than the rows when group or model filter)
     */
    public record Page(ArrayNode rows, String next, long scanned) {
    }

    /** Records a page looks at, at most, for the filters SQL cannot apply (group, model). */
    public static final int MAX_SCAN = 5000;
    private static final Pattern CURSOR = Pattern.compile("([0-9]{1,19}):([a-z0-9][a-z0-9-]{0,63}):([0-9]{1,18})");

    /**
     * A page of exchanges by keyset: the rows after the cursor in (start time, replica, seq) order, newest
     * first, read through the {@code (event_type, event_time)} index, so a page deep in 100k records costs
     * what the first does. Group and model are read from the payloads as rows go by, at most
     * {@link #MAX_SCAN} of them per page (then the page ends early with a cursor to go on).
     */
    public Page page(Search search) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT s.replica_id, s.seq, s.record_id, s.event_time, s.endpoint_id,"
                + " s.payload, e.event_time AS end_time, e.session_id, e.username, e.decision, e.status, e.payload AS"
                + " end_payload, e.seq AS end_seq FROM audit_event s LEFT JOIN audit_event e ON e.record_id ="
                + " s.record_id AND e.event_type = 'end' WHERE s.event_type = 'start'");
        List<Object> args = new ArrayList<>();
        if (search.endpoint() != null) {
            sql.append(" AND s.endpoint_id = ?");
            args.add(search.endpoint());
        }
        if (search.since() != null) {
            sql.append(" AND s.event_time >= ?");
            args.add(EventDraft.micros(search.since()));
        }
        if (search.until() != null) {
            sql.append(" AND s.event_time < ?");
            args.add(EventDraft.micros(search.until()));
        }
        if (search.before() != null) {
            Matcher m = CURSOR.matcher(search.before());
            m.matches();
            long time = Long.parseLong(m.group(1));
            sql.append(" AND (s.event_time < ? OR (s.event_time = ? AND (s.replica_id < ? OR (s.replica_id = ?"
                    + " AND s.seq < ?))))");
            args.add(time);
            args.add(time);
            args.add(m.group(2));
            args.add(m.group(2));
            args.add(Long.parseLong(m.group(3)));
        }
        if (search.user() != null) {
            sql.append(" AND e.username = ?");
            args.add(search.user());
        }
        if (search.session() != null) {
            sql.append(" AND e.session_id = ?");
            args.add(search.session());
        }
        if (search.status() != null) {
            sql.append(" AND e.status = ?");
            args.add(search.status());
        }
        if ("open".equals(search.decision())) {
            sql.append(" AND e.record_id IS NULL");
        } else if (search.decision() != null) {
            sql.append(" AND e.decision = ?");
            args.add(search.decision());
        }
        boolean postFilter = search.group() != null || search.model() != null;
        int fetch = postFilter ? MAX_SCAN : search.limit() + 1;
        sql.append(" ORDER BY s.event_time DESC, s.replica_id DESC, s.seq DESC LIMIT ").append(fetch);
        ArrayNode rows = CanonicalJson.MAPPER.createArrayNode();
        long scanned = 0;
        String next = null;
        try (Connection c = store.connection(); PreparedStatement ps = c.prepareStatement(sql.toString())) {
            ps.setFetchSize(Math.min(fetch, 500));
            for (int i = 0; i < args.size(); i++) {
                ps.setObject(i + 1, args.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                String lastCursor = null;
                while (rs.next()) {
                    if (rows.size() == search.limit()) {
                        next = lastCursor; // one more row exists after a full page
                        break;
                    }
                    scanned++;
                    lastCursor = rs.getLong("event_time") + ":" + rs.getString("replica_id") + ":" + rs.getLong("seq");
                    ObjectNode row = summary(rs);
                    if (postFilter && !matches(row, rs.getString("end_payload"), search)) {
                        if (scanned == MAX_SCAN) {
                            next = lastCursor; // looked at enough for one page: go on from here
                        }
                        continue;
                    }
                    rows.add(row);
                }
            }
        }
        return new Page(rows, next, scanned);
    }

    private static boolean matches(ObjectNode row, String endPayload, Search search) {
        if (search.model() != null && !search.model().equals(row.path("model").asText(null))) {
            return false;
        }
        if (search.group() != null) {
            JsonNode groups = parseOrEmpty(endPayload).path("identity").path("groups");
            for (JsonNode g : groups) {
                if (search.group().equals(g.asText())) {
                    return true;
                }
            }
            return false;
        }
        return true;
    }

    /** The newest signed checkpoint of a replica's chain: number, chain seq, time; empty when none. */
    public Optional<ObjectNode> lastCheckpoint(String replicaId) throws SQLException {
        try (Connection c = store.connection(); PreparedStatement ps = c.prepareStatement("SELECT checkpoint_no,"
                + " chain_seq, created_at FROM audit_checkpoint WHERE replica_id = ? ORDER BY checkpoint_no DESC"
                + " LIMIT 1")) {
            ps.setString(1, replicaId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                ObjectNode o = CanonicalJson.object();
                o.put("number", rs.getLong(1)).put("seq", rs.getLong(2))
                        .put("at", EventDraft.instant(rs.getLong(3)).toString());
                return Optional.of(o);
            }
        }
    }

    private static ObjectNode summary(ResultSet rs) throws SQLException {
        ObjectNode row = CanonicalJson.object();
        row.put("recordId", rs.getString("record_id"));
        row.put("replica", rs.getString("replica_id"));
        row.put("seq", rs.getLong("seq"));
        row.put("time", EventDraft.instant(rs.getLong("event_time")).toString());
        row.put("endpoint", rs.getString("endpoint_id"));
        JsonNode start = parseOrEmpty(rs.getString("payload"));
        JsonNode request = start.path("request");
        row.put("method", text(request, "method"));
        row.put("path", text(request, "path"));
        JsonNode op = start.path("operation");
        row.put("operation", text(op, "kind"));
        row.put("model", text(op, "model"));
        long endSeq = rs.getLong("end_seq");
        boolean ended = !rs.wasNull();
        row.put("username", rs.getString("username"));
        row.put("sessionId", rs.getString("session_id"));
        row.put("decision", ended ? rs.getString("decision") : "open");
        int status = rs.getInt("status");
        if (ended && !rs.wasNull()) {
            row.put("status", status);
        } else {
            row.putNull("status");
        }
        JsonNode end = parseOrEmpty(rs.getString("end_payload"));
        if (end.has("durationMs")) {
            row.set("durationMs", end.get("durationMs"));
        }
        row.put("complete", ended && end.path("complete").asBoolean(false));
        return row;
    }

    /**
     * One exchange's record: the start and end merged, with every event's place in the chain.
     *
     * @param id the record id (which is the {@code Gatehouse-Request-Id} the client saw), or
     *           {@code <replica>:<seq>} of one of its events
     */
    public Optional<ObjectNode> show(String id) throws SQLException {
        List<AuditEvent> events = events(id);
        if (events.stream().noneMatch(e -> e.type().equals("start"))) {
            return Optional.empty();
        }
        ObjectNode record = CanonicalJson.object();
        record.put("recordId", events.get(0).recordId());
        ArrayNode chain = CanonicalJson.MAPPER.createArrayNode();
        ArrayNode amendments = CanonicalJson.MAPPER.createArrayNode();
        boolean ended = false;
        for (AuditEvent e : events) {
            ObjectNode place = chain.addObject();
            place.put("type", e.type()).put("replica", e.replicaId()).put("seq", e.seq())
                    .put("time", e.time().toString()).put("hash", e.hash());
            JsonNode payload = parseOrEmpty(e.payload());
            if (e.payload() == null) {
                place.put("contentRemoved", true);
            }
            switch (e.type()) {
                case "start" -> {
                    record.put("endpoint", e.endpointId());
                    record.put("startTime", e.time().toString());
                    merge(record, payload);
                }
                case "end" -> {
                    ended = true;
                    record.put("endTime", e.time().toString());
                    merge(record, payload);
                }
                case "amend" -> amendments.add(payload);
                default -> {
                }
            }
        }
        if (!ended) {
            record.put("decision", "open");
            record.put("complete", false);
        }
        if (!amendments.isEmpty()) {
            record.set("amendments", amendments);
        }
        record.set("events", chain);
        return Optional.of(record);
    }

    /**
     * The exchange as it can be played back: the request, then the response with each streamed
     * chunk and its time since the exchange started.
     */
    public Optional<ObjectNode> replay(String id) throws SQLException {
        Optional<ObjectNode> record = show(id);
        if (record.isEmpty()) {
            return Optional.empty();
        }
        ObjectNode r = record.get();
        ObjectNode replay = CanonicalJson.object();
        replay.put("recordId", r.path("recordId").asText());
        replay.put("endpoint", r.path("endpoint").asText());
        replay.put("startTime", r.path("startTime").asText());
        replay.set("request", r.path("request").deepCopy());
        if (r.has("response")) {
            replay.set("response", r.get("response").deepCopy());
        } else {
            replay.putNull("response");
        }
        replay.put("decision", r.path("decision").asText());
        replay.put("complete", r.path("complete").asBoolean(false));
        return Optional.of(replay);
    }

    private List<AuditEvent> events(String id) throws SQLException {
        try (Connection c = store.connection()) {
            String recordId = id;
            Matcher m = REPLICA_SEQ.matcher(id);
            if (m.matches()) {
                try (PreparedStatement ps = c.prepareStatement(
                        "SELECT record_id FROM audit_event WHERE replica_id = ? AND seq = ?")) {
                    ps.setString(1, m.group(1));
                    ps.setLong(2, Long.parseLong(m.group(2)));
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            recordId = rs.getString(1);
                        }
                    }
                }
            }
            List<AuditEvent> events = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT " + AuditRepository.EVENT_COLUMNS
                    + " FROM audit_event WHERE record_id = ? ORDER BY event_time, replica_id, seq")) {
                ps.setString(1, recordId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        events.add(AuditRepository.readEvent(rs));
                    }
                }
            }
            return events;
        }
    }

    /**
     * Writes every event since {@code since} (all, when null) as JSON Lines, oldest first: the place
     * in the chain (replica, seq, hashes, so a SIEM can re-check the chain) and the content.
     *
     * @return how many lines were written
     */
    public long export(Instant since, Writer out) throws SQLException, IOException {
        long lines = 0;
        try (Connection c = store.connection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false); // PostgreSQL streams with a cursor only inside a transaction
            try (PreparedStatement ps = c.prepareStatement("SELECT " + AuditRepository.EVENT_COLUMNS
                    + " FROM audit_event WHERE event_time >= ? ORDER BY event_time, replica_id, seq")) {
                ps.setFetchSize(500);
                ps.setLong(1, since == null ? Long.MIN_VALUE : EventDraft.micros(since));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        AuditEvent e = AuditRepository.readEvent(rs);
                        ObjectNode line = CanonicalJson.object();
                        line.put("time", e.time().toString()).put("replica", e.replicaId()).put("seq", e.seq())
                                .put("type", e.type()).put("recordId", e.recordId()).put("endpoint", e.endpointId())
                                .put("sessionId", e.sessionId()).put("username", e.username())
                                .put("decision", e.decision());
                        if (e.status() == null) {
                            line.putNull("status");
                        } else {
                            line.put("status", e.status());
                        }
                        line.put("prevHash", e.prevHash()).put("hash", e.hash())
                                .put("payloadDigest", e.payloadDigest());
                        if (e.payload() == null) {
                            line.putNull("payload");
                        } else {
                            line.set("payload", CanonicalJson.parse(e.payload()));
                        }
                        out.write(CanonicalJson.MAPPER.writeValueAsString(line));
                        out.write('\n');
                        lines++;
                    }
                }
            } finally {
                c.rollback();
                c.setAutoCommit(autoCommit);
            }
        }
        out.flush();
        return lines;
    }

    private static void merge(ObjectNode into, JsonNode payload) {
        for (Iterator<Map.Entry<String, JsonNode>> it = payload.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            into.set(f.getKey(), f.getValue());
        }
    }

    static JsonNode parseOrEmpty(String payload) {
        if (payload == null) {
            return CanonicalJson.object();
        }
        try {
            return CanonicalJson.parse(payload);
        } catch (IllegalArgumentException e) {
            return CanonicalJson.object();
        }
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
