package io.gatehouse.store.audit;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Checks every chain in the store: each event's content against its digest, its fields against
 * its hash, its link to the event before, its query columns against its content, content removed
 * only by a logged retention, and every checkpoint's signature, sequence and agreement with the
 * chain. Reports the first bad event of each chain and what was done to it: modified, deleted,
 * inserted or reordered.
 *
 * <p>Read-only; runs in the caller's transaction, so a test can alter rows, verify and roll back.
 */
public final class AuditVerifier {

    /** Most seqs tried when looking for where a moved event came from. */
    private static final long MAX_REORDER_SEARCH = 2_000_000;

    private AuditVerifier() {
    }

    public static VerifyReport verify(Connection c, TrustedKeys keys) throws SQLException {
        List<VerifyReport.Chain> chains = new ArrayList<>();
        for (String replica : AuditRepository.replicas(c)) {
            chains.add(verifyChain(c, replica, keys));
        }
        return new VerifyReport(chains);
    }

    private record Retention(long seq, long cutoffMicros) {
    }

    private static VerifyReport.Chain verifyChain(Connection c, String replica, TrustedKeys keys) throws SQLException {
        // 1. Checkpoints: numbered from 1, each naming its predecessor, signed by a known key.
        List<Checkpoint> checkpoints = AuditRepository.checkpoints(c, replica);
        VerifyReport.Problem checkpointProblem = null;
        Map<Long, List<Checkpoint>> bySeq = new HashMap<>();
        TreeSet<String> keyNotes = new TreeSet<>();
        String prevDigest = Hashes.GENESIS;
        long prevChainSeq = 0;
        long maxSealed = 0;
        for (int i = 0; i < checkpoints.size(); i++) {
            Checkpoint cp = checkpoints.get(i);
            bySeq.computeIfAbsent(cp.chainSeq(), k -> new ArrayList<>()).add(cp);
            maxSealed = Math.max(maxSealed, cp.chainSeq());
            if (checkpointProblem != null) {
                continue;
            }
            Optional<TrustedKeys.Entry> key = keys.find(cp.keyId());
            String problem = null;
            if (cp.number() != i + 1) {
                problem = "checkpoint " + (i + 1) + " is missing (the next one found is " + cp.number() + ")";
            } else if (!cp.prevDigest().equals(prevDigest)) {
                problem = "checkpoint " + cp.number() + " does not follow checkpoint " + (cp.number() - 1)
                        + " (one of them was altered or replaced)";
            } else if (key.isEmpty()) {
                problem = "checkpoint " + cp.number() + " is signed by key " + cp.keyId() + ", which is not known";
            } else if (!AuditKey.verify(key.get().key(), cp.statement().getBytes(StandardCharsets.UTF_8),
                    cp.signature())) {
                problem = "checkpoint " + cp.number() + " does not match its signature (altered)";
            } else if (cp.chainSeq() < prevChainSeq) {
                problem = "checkpoint " + cp.number() + " goes back in the chain (seq " + cp.chainSeq() + " < "
                        + prevChainSeq + ")";
            }
            if (problem != null) {
                checkpointProblem = new VerifyReport.Problem(VerifyReport.Kind.CHECKPOINT, cp.chainSeq(), problem);
            } else {
                keyNotes.add("key " + cp.keyId() + (key.get().pinned() ? " pinned (" + key.get().source() + ")"
                        : " read from the store, not pinned (pin it with --key)"));
            }
            prevDigest = cp.digest();
            prevChainSeq = cp.chainSeq();
        }

        // 2. Logged retention and prunes (their own integrity is checked with the rest of the chain).
        Map<String, List<Retention>> retention = new HashMap<>();
        long prunedUpTo = 0;
        try (PreparedStatement ps = c.prepareStatement("SELECT seq, event_type, endpoint_id, payload FROM audit_event"
                + " WHERE replica_id = ? AND event_type IN ('retention', 'prune') AND payload IS NOT NULL ORDER BY seq")) {
            ps.setString(1, replica);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> fields;
                    try {
                        fields = CanonicalJson.topLevelScalars(rs.getString(4));
                    } catch (IllegalArgumentException e) {
                        continue; // reported as modified in the pass below
                    }
                    if ("retention".equals(rs.getString(2)) && fields.get("cutoffMicros") instanceof Long cutoff) {
                        retention.computeIfAbsent(rs.getString(3), k -> new ArrayList<>())
                                .add(new Retention(rs.getLong(1), cutoff));
                    } else if ("prune".equals(rs.getString(2)) && fields.get("upToSeq") instanceof Long upTo) {
                        prunedUpTo = Math.max(prunedUpTo, upTo);
                    }
                }
            }
        }

        // 3. The chain itself, in order.
        long events = 0;
        long removed = 0;
        long firstSeq = 0;
        long expected = 1;
        String prev = Hashes.GENESIS;
        VerifyReport.Problem problem = null;
        AuditEvent suspect = null;
        try (PreparedStatement ps = c.prepareStatement("SELECT " + AuditRepository.EVENT_COLUMNS
                + " FROM audit_event WHERE replica_id = ? ORDER BY seq")) {
            ps.setFetchSize(500);
            ps.setString(1, replica);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    AuditEvent e = AuditRepository.readEvent(rs);
                    if (events == 0 && e.seq() > 1) {
                        firstSeq = e.seq();
                        List<Checkpoint> seal = bySeq.get(e.seq() - 1);
                        if (seal == null || prunedUpTo < e.seq() - 1) {
                            problem = new VerifyReport.Problem(VerifyReport.Kind.DELETED, 1, "events 1.." + (e.seq() - 1)
                                    + " are missing from the start of the chain and no logged prune removed them");
                            break;
                        }
                        prev = seal.get(0).chainHash();
                        expected = e.seq();
                    } else if (events == 0) {
                        firstSeq = 1;
                    }
                    if (e.seq() != expected) {
                        problem = new VerifyReport.Problem(VerifyReport.Kind.DELETED, expected, expected == e.seq() - 1
                                ? "event " + expected + " is missing (deleted)"
                                : "events " + expected + ".." + (e.seq() - 1) + " are missing (deleted)");
                        break;
                    }
                    String wrong = check(e, prev, retention);
                    if (wrong != null) {
                        problem = new VerifyReport.Problem(wrong.startsWith("does not follow")
                                ? VerifyReport.Kind.INSERTED : VerifyReport.Kind.MODIFIED, e.seq(),
                                "event " + e.seq() + " " + wrong);
                        suspect = e;
                        break;
                    }
                    if (e.payload() == null) {
                        removed++;
                    }
                    for (Checkpoint cp : bySeq.getOrDefault(e.seq(), List.of())) {
                        if (!cp.chainHash().equals(e.hash())) {
                            problem = new VerifyReport.Problem(VerifyReport.Kind.CHECKPOINT, e.seq(), "checkpoint "
                                    + cp.number() + " sealed event " + e.seq() + " with another hash: events up to "
                                    + e.seq() + " were altered and their hashes recomputed");
                            break;
                        }
                    }
                    if (problem != null) {
                        break;
                    }
                    prev = e.hash();
                    expected++;
                    events++;
                }
            }
        }
        if (suspect != null && problem.kind() == VerifyReport.Kind.MODIFIED) {
            problem = reordered(c, replica, suspect, firstSeq).orElse(problem);
        }
        long lastSeq = expected - 1;
        if (problem == null) {
            for (Checkpoint cp : checkpoints) {
                if (cp.chainSeq() > lastSeq) {
                    problem = new VerifyReport.Problem(VerifyReport.Kind.DELETED, lastSeq + 1, "events " + (lastSeq + 1)
                            + ".." + cp.chainSeq() + " are missing from the end of the chain (checkpoint "
                            + cp.number() + " covers them)");
                    break;
                }
            }
        }
        if (problem == null) {
            problem = checkpointProblem;
        }
        return new VerifyReport.Chain(replica, events, firstSeq, lastSeq, checkpoints.size(), removed,
                Math.max(0, lastSeq - maxSealed), String.join(", ", keyNotes), problem);
    }

    /** Null when the event is sound in itself and follows {@code prev}; else what is wrong, for a message. */
    private static String check(AuditEvent e, String prev, Map<String, List<Retention>> retention) {
        EventType type = EventType.fromWire(e.type());
        if (type == null) {
            return "has an unknown type (modified)";
        }
        if (e.payload() != null && !Hashes.sha256Hex(e.payload()).equals(e.payloadDigest())) {
            return "does not match its content digest (content modified)";
        }
        if (!e.recomputedHash().equals(e.hash())) {
            return "does not match its hash (modified)";
        }
        if (!e.prevHash().equals(prev)) {
            return "does not follow event " + (e.seq() - 1) + " (inserted, or event " + (e.seq() - 1) + " replaced)";
        }
        if (e.payload() != null) {
            Map<String, Object> columns;
            try {
                columns = EventDraft.expectedColumns(e.payload());
            } catch (IllegalArgumentException bad) {
                return "holds content that is not a JSON object (modified)";
            }
            String column = mismatch(e, columns);
            if (column != null) {
                return "has a " + column + " column that does not match its content (modified)";
            }
            return null;
        }
        if (e.sessionId() != null || e.username() != null || e.decision() != null || e.status() != null) {
            return "has query columns but no content (modified)";
        }
        if (!type.isExchange() || !removedByRetention(e, retention.getOrDefault(e.endpointId(), List.of()))) {
            return "has no content, and no logged retention removed it (content deleted)";
        }
        return null;
    }

    private static String mismatch(AuditEvent e, Map<String, Object> columns) {
        if (!Objects.equals(e.sessionId(), columns.get("sessionId"))) {
            return "session_id";
        }
        if (!Objects.equals(e.username(), columns.get("username"))) {
            return "username";
        }
        if (!Objects.equals(e.decision(), columns.get("decision"))) {
            return "decision";
        }
        if (!Objects.equals(e.status(), columns.get("status"))) {
            return "status";
        }
        return null;
    }

    private static boolean removedByRetention(AuditEvent e, List<Retention> logged) {
        for (Retention r : logged) {
            if (r.seq() > e.seq() && r.cutoffMicros() > e.timeMicros()) {
                return true;
            }
        }
        return false;
    }

    /** When the event is intact but sits at another seq, names where it belongs. */
    private static Optional<VerifyReport.Problem> reordered(Connection c, String replica, AuditEvent e, long firstSeq)
            throws SQLException {
        if (e.payload() != null && !Hashes.sha256Hex(e.payload()).equals(e.payloadDigest())) {
            return Optional.empty();
        }
        long max;
        try (PreparedStatement ps = c.prepareStatement("SELECT MAX(seq) FROM audit_event WHERE replica_id = ?")) {
            ps.setString(1, replica);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                max = rs.getLong(1);
            }
        }
        long from = Math.max(1, Math.max(firstSeq, max - MAX_REORDER_SEARCH));
        for (long s = max; s >= from; s--) {
            if (s != e.seq() && Hashes.entryHash(e.replicaId(), s, e.type(), e.recordId(), e.timeMicros(),
                    e.endpointId(), e.payloadDigest(), e.prevHash()).equals(e.hash())) {
                return Optional.of(new VerifyReport.Problem(VerifyReport.Kind.REORDERED, e.seq(), "event " + e.seq()
                        + " holds the event written as seq " + s + " (reordered)"));
            }
        }
        return Optional.empty();
    }
}
