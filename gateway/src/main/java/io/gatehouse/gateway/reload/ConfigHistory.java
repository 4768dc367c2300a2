package io.gatehouse.gateway.reload;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.store.Store;
import io.gatehouse.store.audit.AuditWriter;
import io.gatehouse.store.audit.CanonicalJson;
import io.gatehouse.store.audit.EventDraft;
import io.gatehouse.store.audit.EventType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where applied config versions are kept: each one as a {@code config} event in this replica's audit chain
 * (who, when, the version, the files changed), and the latest one per replica in the store's
 * {@code config_replica} table, which every replica on that store reads for {@code /admin/config}.
 */
public final class ConfigHistory {

    /** The version one replica serves, as it last wrote it. */
    public record ReplicaVersion(String replica, String version, Instant appliedAt, String appliedBy,
                                 Instant seenAt) {
    }

    private final Store store;
    private final AuditWriter writer;

    public ConfigHistory(Store store, AuditWriter writer) {
        this.store = store;
        this.writer = writer;
    }

    public String replicaId() {
        return writer.replicaId();
    }

    /**
     * Records an applied version: the audit event (durable when the stage completes) and this replica's row.
     *
     * @param trigger how it was applied: {@code start}, {@code admin-api}, {@code signal}, {@code watch}
     */
    public CompletableFuture<Void> applied(ConfigVersion version, ConfigVersion previous, String appliedBy,
                                           String trigger, Instant at, String directory, ObjectNode endpoints) {
        ObjectNode p = CanonicalJson.object();
        p.put("version", version.version());
        if (previous == null) {
            p.putNull("previousVersion");
        } else {
            p.put("previousVersion", previous.version());
        }
        p.put("appliedBy", appliedBy).put("trigger", trigger).put("directory", directory);
        ConfigVersion.Diff diff = version.diff(previous);
        ObjectNode files = p.putObject("files");
        list(files.putArray("added"), diff.added());
        list(files.putArray("removed"), diff.removed());
        list(files.putArray("changed"), diff.changed());
        ObjectNode digests = p.putObject("digests");
        version.files().forEach(digests::put);
        if (endpoints != null) {
            p.set("endpoints", endpoints);
        }
        CompletableFuture<Void> durable = writer.append(EventDraft.of(EventType.CONFIG, version.version(), at,
                "gateway", p));
        return durable.thenRun(() -> {
            try {
                saveReplica(version.version(), at, appliedBy);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot save this replica's config version: "
                        + Store.rootMessage(e), e);
            }
        });
    }

    /** Every replica's version on this store, by replica id. */
    public List<ReplicaVersion> replicas() throws SQLException {
        List<ReplicaVersion> list = new ArrayList<>();
        try (Connection c = store.connection();
             PreparedStatement ps = c.prepareStatement("SELECT replica_id, version, applied_at, applied_by, seen_at"
                     + " FROM config_replica ORDER BY replica_id");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                list.add(new ReplicaVersion(rs.getString(1), rs.getString(2), EventDraft.instant(rs.getLong(3)),
                        rs.getString(4), EventDraft.instant(rs.getLong(5))));
            }
        }
        return list;
    }

    private void saveReplica(String version, Instant at, String appliedBy) throws SQLException {
        long micros = EventDraft.micros(at);
        String by = appliedBy == null || appliedBy.length() <= 256 ? appliedBy : appliedBy.substring(0, 256);
        try (Connection c = store.connection()) {
            c.setAutoCommit(true);
            int updated;
            try (PreparedStatement ps = c.prepareStatement("UPDATE config_replica SET version = ?, applied_at = ?,"
                    + " applied_by = ?, seen_at = ? WHERE replica_id = ?")) {
                ps.setString(1, version);
                ps.setLong(2, micros);
                ps.setString(3, by);
                ps.setLong(4, micros);
                ps.setString(5, writer.replicaId());
                updated = ps.executeUpdate();
            }
            if (updated == 0) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO config_replica (replica_id, version,"
                        + " applied_at, applied_by, seen_at) VALUES (?, ?, ?, ?, ?)")) {
                    ps.setString(1, writer.replicaId());
                    ps.setString(2, version);
                    ps.setLong(3, micros);
                    ps.setString(4, by);
                    ps.setLong(5, micros);
                    ps.executeUpdate();
                }
            }
        }
    }

    private static void list(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }
}
