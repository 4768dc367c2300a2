package io.gatehouse.store.audit;

import java.nio.charset.StandardCharsets;

/**
 * A signed statement "the chain of {@code replica} had {@code chainSeq} events, the last one hashing
 * to {@code chainHash}". Checkpoints chain too: each names the digest of the one before it, so
 * deleting one is as visible as deleting an event.
 *
 * @param number     1, 2, 3 … per replica
 * @param prevDigest {@link #digest()} of checkpoint {@code number - 1}; {@link Hashes#GENESIS} for the first
 * @param signature  base64 Ed25519 signature of {@link #statement()}
 */
public record Checkpoint(String replicaId, long number, long chainSeq, String chainHash, long createdAtMicros,
                         String prevDigest, String keyId, String signature) {

    /** What is signed. */
    public String statement() {
        return statement(replicaId, number, chainSeq, chainHash, createdAtMicros, prevDigest, keyId);
    }

    static String statement(String replicaId, long number, long chainSeq, String chainHash, long createdAtMicros,
                            String prevDigest, String keyId) {
        return "gatehouse-audit-checkpoint-v1\n" + replicaId + "\n" + number + "\n" + chainSeq + "\n" + chainHash
                + "\n" + createdAtMicros + "\n" + prevDigest + "\n" + keyId;
    }

    /** What the next checkpoint names as its predecessor: SHA-256 of the statement and signature. */
    public String digest() {
        return Hashes.sha256Hex(statement() + "\n" + signature);
    }

    static Checkpoint sign(AuditKey key, String replicaId, long number, long chainSeq, String chainHash,
                           long createdAtMicros, String prevDigest) {
        String statement = statement(replicaId, number, chainSeq, chainHash, createdAtMicros, prevDigest, key.keyId());
        return new Checkpoint(replicaId, number, chainSeq, chainHash, createdAtMicros, prevDigest, key.keyId(),
                key.sign(statement.getBytes(StandardCharsets.UTF_8)));
    }
}
