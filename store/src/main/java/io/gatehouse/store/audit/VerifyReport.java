package io.gatehouse.store.audit;

import java.util.List;
import java.util.stream.Collectors;

/** What {@code audit verify} found, chain by chain. */
public record VerifyReport(List<Chain> chains) {

    public VerifyReport {
        chains = List.copyOf(chains);
    }

    /** How the first bad entry of a chain was altered, as far as the evidence tells. */
    public enum Kind {
        /** The event's content or columns do not match its hash. */
        MODIFIED,
        /** Events are missing from the chain. */
        DELETED,
        /** An event does not follow its predecessor: inserted, or its predecessor replaced. */
        INSERTED,
        /** An event sits at another event's place. */
        REORDERED,
        /** A checkpoint is missing, altered, badly signed, or disagrees with the chain. */
        CHECKPOINT
    }

    /**
     * The first problem of a chain.
     *
     * @param seq the first bad event (or, for a checkpoint problem, the checkpoint's chain seq)
     */
    public record Problem(Kind kind, long seq, String message) {
    }

    /**
     * One replica's chain.
     *
     * @param events      events read
     * @param firstSeq    the first event kept (above 1 when retention pruned the start)
     * @param lastSeq     the last event
     * @param checkpoints checkpoints verified
     * @param removed     events whose content retention removed (hashes kept)
     * @param unsealed    events after the last checkpoint (not yet covered by a signature)
     * @param keys        how the checkpoints' keys were trusted
     * @param problem     the first problem, or null when the chain is intact
     */
    public record Chain(String replicaId, long events, long firstSeq, long lastSeq, long checkpoints, long removed,
                       long unsealed, String keys, Problem problem) {

        public boolean ok() {
            return problem == null;
        }

        public String describe() {
            if (problem != null) {
                return "replica " + replicaId + ": FAILED at seq " + problem.seq() + ": " + problem.message();
            }
            StringBuilder s = new StringBuilder("replica " + replicaId + ": intact, " + events + " events (seq "
                    + firstSeq + ".." + lastSeq + "), " + checkpoints + " signed checkpoints");
            if (removed > 0) {
                s.append(", ").append(removed).append(" emptied by retention");
            }
            if (firstSeq > 1) {
                s.append(", seq 1..").append(firstSeq - 1).append(" pruned by retention");
            }
            if (unsealed > 0) {
                s.append("; the last ").append(unsealed).append(" events are not covered by a checkpoint yet");
            }
            if (keys != null && !keys.isEmpty()) {
                s.append("; ").append(keys);
            }
            return s.toString();
        }
    }

    public boolean ok() {
        return chains.stream().allMatch(Chain::ok);
    }

    /** The first problem of the first broken chain, if any. */
    public Problem firstProblem() {
        return chains.stream().filter(c -> !c.ok()).map(Chain::problem).findFirst().orElse(null);
    }

    public String describe() {
        if (chains.isEmpty()) {
            return "audit verify: the store holds no audit events";
        }
        return chains.stream().map(c -> "audit verify: " + c.describe()).collect(Collectors.joining("\n"));
    }
}
