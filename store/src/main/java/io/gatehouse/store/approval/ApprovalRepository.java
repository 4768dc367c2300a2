package io.gatehouse.store.approval;

import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.approval.Approval;
import io.gatehouse.spi.approval.ApprovalStatus;
import io.gatehouse.spi.approval.MfaRule;
import io.gatehouse.spi.approval.Person;
import io.gatehouse.spi.approval.Vote;
import io.gatehouse.store.audit.EventDraft;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The SQL of approvals: plain JDBC on a connection the caller owns (and commits). */
final class ApprovalRepository {

    private static final String COLUMNS = "id, status, endpoint_id, request_record_id, requester_issuer,"
            + " requester_subject, requester_username, requester_groups, operation_kind, model, batch_size, method,"
            + " path, request_digest, summary, reason, rule_policy, rule_name, rule_reason, approver_groups,"
            + " approvals_needed, mfa_acr, mfa_amr, max_uses, uses, grant_ttl_ms, created_at, expires_at, decided_at,"
            + " grant_expires_at";

    private ApprovalRepository() {
    }

    static void insert(Connection c, Approval a) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO approval_request (" + COLUMNS + ") VALUES"
                + " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            int i = 0;
            ps.setString(++i, a.id());
            ps.setString(++i, a.status().wireName());
            ps.setString(++i, a.endpointId());
            ps.setString(++i, a.recordId());
            ps.setString(++i, a.requester().issuer());
            ps.setString(++i, a.requester().subject());
            ps.setString(++i, clip(a.requester().username(), 256));
            ps.setString(++i, clip(join(a.requester().groups()), 2048));
            ps.setString(++i, a.operationKind());
            ps.setString(++i, a.model() == null ? null : clip(a.model(), 256));
            ps.setInt(++i, a.batch());
            ps.setString(++i, a.method());
            ps.setString(++i, clip(a.path(), 2048));
            ps.setString(++i, a.digest());
            ps.setString(++i, clip(a.summary(), 512));
            ps.setString(++i, a.reason() == null ? null : clip(a.reason(), 1024));
            ps.setString(++i, clip(a.rule().policy(), 128));
            ps.setString(++i, clip(a.rule().rule(), 128));
            ps.setString(++i, clip(a.rule().reason(), 1024));
            ps.setString(++i, join(a.approverGroups()));
            ps.setInt(++i, a.approvalsNeeded());
            ps.setString(++i, join(a.mfa().acr()));
            ps.setString(++i, join(a.mfa().amr()));
            ps.setInt(++i, a.maxUses());
            ps.setInt(++i, a.uses());
            ps.setLong(++i, a.grantTtl().toMillis());
            ps.setLong(++i, EventDraft.micros(a.createdAt()));
            ps.setLong(++i, EventDraft.micros(a.expiresAt()));
            setMicros(ps, ++i, a.decidedAt());
            setMicros(ps, ++i, a.grantExpiresAt());
            ps.executeUpdate();
        }
    }

    /** The approval, locked for this transaction when {@code forUpdate}; null when unknown. */
    static Approval find(Connection c, String id, boolean forUpdate) throws SQLException {
        Approval row;
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM approval_request WHERE id = ?"
                + (forUpdate ? " FOR UPDATE" : ""))) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                row = rs.next() ? row(rs, List.of()) : null;
            }
        }
        if (row == null) {
            return null;
        }
        return withVotes(row, votes(c, List.of(id)).getOrDefault(id, List.of()));
    }

    /** Newest first; {@code status} null for all. */
    static List<Approval> list(Connection c, ApprovalStatus status, int limit) throws SQLException {
        List<Approval> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM approval_request"
                + (status == null ? "" : " WHERE status = ?") + " ORDER BY created_at DESC, id LIMIT ?")) {
            int i = 0;
            if (status != null) {
                ps.setString(++i, status.wireName());
            }
            ps.setInt(++i, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(row(rs, List.of()));
                }
            }
        }
        Map<String, List<Vote>> votes = votes(c, rows.stream().map(Approval::id).toList());
        return rows.stream().map(a -> withVotes(a, votes.getOrDefault(a.id(), List.of()))).toList();
    }

    /** How many requests wait for a decision, and since when the oldest of them waits (null: none). */
    record Pending(long count, Instant oldestSince) {
    }

    static Pending pending(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT COUNT(*), MIN(created_at) FROM approval_request WHERE status = 'pending'");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            long count = rs.getLong(1);
            long oldest = rs.getLong(2);
            return new Pending(count, rs.wasNull() ? null : EventDraft.instant(oldest));
        }
    }

    /** Status and uses of each known id (for waiters: a cheap look at what changed). */
    static Map<String, String> states(Connection c, Collection<String> ids) throws SQLException {
        Map<String, String> states = new LinkedHashMap<>();
        if (ids.isEmpty()) {
            return states;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT id, status, uses FROM approval_request WHERE id IN ("
                + String.join(", ", java.util.Collections.nCopies(ids.size(), "?")) + ")")) {
            int i = 0;
            for (String id : ids) {
                ps.setString(++i, id);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    states.put(rs.getString(1), rs.getString(2) + "/" + rs.getInt(3));
                }
            }
        }
        return states;
    }

    static void insertVote(Connection c, String id, Vote vote) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO approval_vote (approval_id, voter_issuer,"
                + " voter_subject, voter_username, decision, reason, voted_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, id);
            ps.setString(2, vote.issuer());
            ps.setString(3, vote.subject());
            ps.setString(4, clip(vote.username(), 256));
            ps.setString(5, vote.decision());
            ps.setString(6, clip(vote.reason(), 1024));
            ps.setLong(7, EventDraft.micros(vote.at()));
            ps.executeUpdate();
        }
    }

    /** Moves a row from {@code from} to {@code to}; false when it was no longer in {@code from}. */
    static boolean transition(Connection c, String id, ApprovalStatus from, ApprovalStatus to, Instant decidedAt,
                              Instant grantExpiresAt) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE approval_request SET status = ?, decided_at ="
                + " COALESCE(?, decided_at), grant_expires_at = COALESCE(?, grant_expires_at) WHERE id = ? AND"
                + " status = ?")) {
            ps.setString(1, to.wireName());
            setMicros(ps, 2, decidedAt);
            setMicros(ps, 3, grantExpiresAt);
            ps.setString(4, id);
            ps.setString(5, from.wireName());
            return ps.executeUpdate() == 1;
        }
    }

    /**
     * Takes one use of an approved, unexpired grant, in one statement, so that of any number of
     * concurrent callers exactly as many succeed as uses are left. Records the exchange it let through.
     */
    static boolean consume(Connection c, String id, String recordId, Instant now) throws SQLException {
        long micros = EventDraft.micros(now);
        int updated;
        try (PreparedStatement ps = c.prepareStatement("UPDATE approval_request SET uses = uses + 1, status ="
                + " CASE WHEN uses + 1 >= max_uses THEN 'used' ELSE 'approved' END WHERE id = ? AND status ="
                + " 'approved' AND uses < max_uses AND grant_expires_at > ?")) {
            ps.setString(1, id);
            ps.setLong(2, micros);
            updated = ps.executeUpdate();
        }
        if (updated != 1) {
            return false;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO approval_use (approval_id, record_id, used_at)"
                + " VALUES (?, ?, ?)")) {
            ps.setString(1, id);
            ps.setString(2, recordId);
            ps.setLong(3, micros);
            ps.executeUpdate();
        }
        return true;
    }

    /**
     * Adds {@code amount} uses to an approved grant (a token quota's answer), at most up to its maximum;
     * a grant that reaches it is used up. False when the grant was no longer approved.
     */
    static boolean charge(Connection c, String id, long amount) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE approval_request SET uses = CASE WHEN uses + ? >="
                + " max_uses THEN max_uses ELSE uses + ? END, status = CASE WHEN uses + ? >= max_uses THEN 'used'"
                + " ELSE status END WHERE id = ? AND status = 'approved'")) {
            ps.setLong(1, amount);
            ps.setLong(2, amount);
            ps.setLong(3, amount);
            ps.setString(4, id);
            return ps.executeUpdate() == 1;
        }
    }

    /** Narrows the grant an approver gave: fewer uses than the request allowed. */
    static void limitUses(Connection c, String id, int maxUses) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE approval_request SET max_uses = ? WHERE id = ?")) {
            ps.setInt(1, maxUses);
            ps.setString(2, id);
            ps.executeUpdate();
        }
    }

    /** Ids of pending requests and approved grants whose time is up (at most {@code limit}). */
    static List<String> due(Connection c, Instant now, int limit) throws SQLException {
        List<String> ids = new ArrayList<>();
        long micros = EventDraft.micros(now);
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM approval_request WHERE (status = 'pending' AND"
                + " expires_at <= ?) OR (status = 'approved' AND grant_expires_at <= ?) ORDER BY expires_at LIMIT ?")) {
            ps.setLong(1, micros);
            ps.setLong(2, micros);
            ps.setInt(3, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
        }
        return ids;
    }

    private static Map<String, List<Vote>> votes(Connection c, List<String> ids) throws SQLException {
        Map<String, List<Vote>> votes = new LinkedHashMap<>();
        if (ids.isEmpty()) {
            return votes;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT approval_id, voter_issuer, voter_subject,"
                + " voter_username, decision, reason, voted_at FROM approval_vote WHERE approval_id IN ("
                + String.join(", ", java.util.Collections.nCopies(ids.size(), "?")) + ") ORDER BY voted_at,"
                + " voter_username")) {
            for (int i = 0; i < ids.size(); i++) {
                ps.setString(i + 1, ids.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    votes.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(new Vote(rs.getString(2),
                            rs.getString(3), rs.getString(4), "approve".equals(rs.getString(5)), rs.getString(6),
                            EventDraft.instant(rs.getLong(7))));
                }
            }
        }
        return votes;
    }

    private static Approval row(ResultSet rs, List<Vote> votes) throws SQLException {
        Person requester = new Person(rs.getString("requester_issuer"), rs.getString("requester_subject"),
                rs.getString("requester_username"), split(rs.getString("requester_groups")), null, List.of());
        return new Approval(rs.getString("id"), ApprovalStatus.fromWire(rs.getString("status")),
                rs.getString("endpoint_id"), rs.getString("request_record_id"), requester,
                rs.getString("operation_kind"), rs.getString("model"), rs.getInt("batch_size"), rs.getString("method"),
                rs.getString("path"), rs.getString("request_digest"), rs.getString("summary"), rs.getString("reason"),
                new DecidingRule(rs.getString("rule_policy"), rs.getString("rule_name"), rs.getString("rule_reason")),
                split(rs.getString("approver_groups")), rs.getInt("approvals_needed"),
                new MfaRule(split(rs.getString("mfa_acr")), split(rs.getString("mfa_amr"))), rs.getInt("max_uses"),
                rs.getInt("uses"), Duration.ofMillis(rs.getLong("grant_ttl_ms")),
                EventDraft.instant(rs.getLong("created_at")), EventDraft.instant(rs.getLong("expires_at")),
                micros(rs, "decided_at"), micros(rs, "grant_expires_at"), votes);
    }

    private static Approval withVotes(Approval a, List<Vote> votes) {
        return new Approval(a.id(), a.status(), a.endpointId(), a.recordId(), a.requester(), a.operationKind(),
                a.model(), a.batch(), a.method(), a.path(), a.digest(), a.summary(), a.reason(), a.rule(),
                a.approverGroups(), a.approvalsNeeded(), a.mfa(), a.maxUses(), a.uses(), a.grantTtl(), a.createdAt(),
                a.expiresAt(), a.decidedAt(), a.grantExpiresAt(), votes);
    }

    private static Instant micros(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : EventDraft.instant(v);
    }

    private static void setMicros(PreparedStatement ps, int index, Instant time) throws SQLException {
        if (time == null) {
            ps.setNull(index, java.sql.Types.BIGINT);
        } else {
            ps.setLong(index, EventDraft.micros(time));
        }
    }

    /** Names joined by newlines, sorted (group names may hold commas, never a newline). */
    static String join(Set<String> names) {
        return String.join("\n", new TreeSet<>(names));
    }

    static Set<String> split(String joined) {
        if (joined == null || joined.isEmpty()) {
            return Set.of();
        }
        return new TreeSet<>(Arrays.asList(joined.split("\n")));
    }

    private static String clip(String value, int max) {
        return value.length() <= max ? value : value.substring(0, max);
    }
}
