package io.gatehouse.processors.recording;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.spi.GatewayServices;
import io.gatehouse.spi.audit.AuditLog;
import io.gatehouse.store.Store;
import io.gatehouse.store.StoreSettings;
import io.gatehouse.store.audit.AuditSettings;
import io.gatehouse.store.audit.AuditWriter;
import io.gatehouse.store.audit.CanonicalJson;
import io.gatehouse.store.audit.StoreAuditLog;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A real audit trail on an embedded store in a temp folder, offered as the SPI's {@link AuditLog}. */
final class AuditFixture implements AutoCloseable {

    /** One stored event: its type and its payload (null when removed). */
    record Row(String type, String recordId, String username, String decision, Integer status, JsonNode payload,
               String raw) {
    }

    final Store store;
    final AuditWriter writer;

    AuditFixture(Path temp) throws Exception {
        Path data = temp.resolve("data");
        store = Store.open(StoreSettings.embedded(data));
        writer = AuditWriter.start(store, AuditSettings.defaults("r-test", data), Clock.systemUTC());
    }

    GatewayServices services() {
        return GatewayServices.of(Map.of(AuditLog.class, new StoreAuditLog(writer)));
    }

    /** The events of one exchange, in chain order, once everything queued is durable. */
    List<Row> rows(String recordId) throws SQLException {
        writer.flush().join();
        List<Row> rows = new ArrayList<>();
        try (Connection c = store.connection(); PreparedStatement ps = c.prepareStatement("SELECT event_type,"
                + " record_id, username, decision, status, payload FROM audit_event WHERE record_id = ? ORDER BY seq")) {
            ps.setString(1, recordId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int status = rs.getInt(5);
                    String raw = rs.getString(6);
                    rows.add(new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            rs.wasNull() ? null : status, raw == null ? null : CanonicalJson.parse(raw), raw));
                }
            }
        }
        return rows;
    }

    /** Every payload in the store, as stored. */
    String everything() throws SQLException {
        writer.flush().join();
        StringBuilder all = new StringBuilder();
        try (Connection c = store.connection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT payload FROM audit_event")) {
            while (rs.next()) {
                all.append(rs.getString(1)).append('\n');
            }
        }
        return all.toString();
    }

    void execute(String sql) throws SQLException {
        try (Connection c = store.connection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    @Override
    public void close() {
        writer.close();
        store.close();
    }
}
