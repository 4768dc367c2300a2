package io.gatehouse.store.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.store.Store;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Events shaped like the recording processor's, and reads of the tables, for the store's tests. */
final class Events {

    private Events() {
    }

    static EventDraft start(String recordId, String endpoint, Instant time) {
        ObjectNode p = CanonicalJson.object();
        p.putObject("request").put("method", "POST").put("path", "/v1/chat/completions")
                .putObject("body").put("text", "{\"model\":\"m\",\"prompt\":\"hello " + recordId + "\"}");
        p.putObject("operation").put("kind", "chat").put("model", "demo-small");
        return EventDraft.of(EventType.START, recordId, time, endpoint, p);
    }

    static EventDraft end(String recordId, String endpoint, Instant time, String user, String decision, int status) {
        ObjectNode p = CanonicalJson.object();
        p.put("outcome", decision.equals("allowed") ? "answered" : decision).put("decision", decision)
                .put("status", status).put("username", user).put("sessionId", "s-" + user).put("complete", true)
                .put("durationMs", 12);
        p.putObject("response").put("status", status).putObject("body").put("text", "{\"ok\":true}");
        return EventDraft.of(EventType.END, recordId, time, endpoint, p);
    }

    static void await(CompletableFuture<?> future) {
        try {
            future.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("did not complete: " + e, e);
        }
    }

    static void awaitAll(List<CompletableFuture<Void>> futures) {
        await(CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)));
    }

    static List<AuditEvent> rows(Store store) throws SQLException {
        List<AuditEvent> rows = new ArrayList<>();
        try (Connection c = store.connection(); PreparedStatement ps = c.prepareStatement(
                "SELECT " + AuditRepository.EVENT_COLUMNS + " FROM audit_event ORDER BY replica_id, seq");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.add(AuditRepository.readEvent(rs));
            }
        }
        return rows;
    }

    static List<String> types(Store store) throws SQLException {
        return rows(store).stream().map(AuditEvent::type).toList();
    }

    static long count(Store store, String sql) throws SQLException {
        try (Connection c = store.connection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static void execute(Store store, String sql) throws SQLException {
        try (Connection c = store.connection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static VerifyReport verify(Store store) throws SQLException {
        try (Connection c = store.connection()) {
            return AuditVerifier.verify(c, TrustedKeys.none().withStoreKeys(c));
        }
    }
}
