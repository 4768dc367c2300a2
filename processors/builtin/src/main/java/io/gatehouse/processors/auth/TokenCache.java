package io.gatehouse.processors.auth;

import io.gatehouse.spi.Identity;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Tokens verified recently, by SHA-256 of the token (the token itself is not kept), so a client that
 * reuses its token pays a hash and a map lookup instead of a signature check. Bounded: past
 * {@code maxEntries} expired entries go first, then arbitrary ones. An entry is dropped at its
 * token's {@code exp} (plus the skew), or for an introspected token at the end of the introspection
 * cache time. Only what the token proves is cached; time, key and per-endpoint rules are checked on
 * every use. Thread-safe.
 */
final class TokenCache {

    /** A 256-bit digest, compared by value. */
    record Digest(long a, long b, long c, long d) {
    }

    /**
     * @param provider     the provider that verified the token
     * @param identity     what the token says
     * @param keyId        the {@code kid} of the verifying key (null when the token names none); the entry is
     *                     used only while the provider still publishes it
     * @param introspected true for an opaque token checked by introspection (no key involved)
     * @param until        when the entry is dropped
     */
    record Entry(String provider, Identity identity, String keyId, boolean introspected, Instant until) {
    }

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    });

    private final int maxEntries;
    private final Map<Digest, Entry> entries = new ConcurrentHashMap<>();
    private final ReentrantLock eviction = new ReentrantLock();

    TokenCache(int maxEntries) {
        this.maxEntries = maxEntries;
    }

    static Digest digest(String token) {
        MessageDigest sha = SHA256.get();
        ByteBuffer hash = ByteBuffer.wrap(sha.digest(token.getBytes(StandardCharsets.ISO_8859_1)));
        return new Digest(hash.getLong(), hash.getLong(), hash.getLong(), hash.getLong());
    }

    /** The live entry for this digest, or null. */
    Entry get(Digest digest, Instant now) {
        if (maxEntries == 0) {
            return null;
        }
        Entry entry = entries.get(digest);
        if (entry != null && !now.isBefore(entry.until())) {
            entries.remove(digest, entry);
            return null;
        }
        return entry;
    }

    void put(Digest digest, Entry entry, Instant now) {
        if (maxEntries == 0 || !now.isBefore(entry.until())) {
            return;
        }
        if (entries.size() >= maxEntries) {
            evict(now);
        }
        entries.put(digest, entry);
    }

    void remove(Digest digest) {
        entries.remove(digest);
    }

    int size() {
        return entries.size();
    }

    int maxEntries() {
        return maxEntries;
    }

    private void evict(Instant now) {
        if (!eviction.tryLock()) {
            return; // another thread is making room
        }
        try {
            entries.values().removeIf(e -> !now.isBefore(e.until()));
            int target = maxEntries - Math.max(1, maxEntries / 8);
            Iterator<Digest> it = entries.keySet().iterator();
            while (entries.size() > target && it.hasNext()) {
                it.next();
                it.remove();
            }
        } finally {
            eviction.unlock();
        }
    }
}
