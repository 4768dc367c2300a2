package io.gatehouse.store.audit;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The public keys checkpoints are verified with. A key is <em>pinned</em> when it comes from outside
 * the store (a replica's own {@code audit-key.pub.pem}, or a file an auditor kept); keys read from
 * the store's {@code audit_key} table are used too, but the report says so, since whoever can write
 * the store could have replaced them.
 */
public final class TrustedKeys {

    /** A key and where it came from. */
    public record Entry(PublicKey key, boolean pinned, String source) {
    }

    private final Map<String, Entry> keys = new LinkedHashMap<>();

    public static TrustedKeys none() {
        return new TrustedKeys();
    }

    /** Pins a key read from a PEM file. */
    public TrustedKeys pin(Path publicKeyPem) throws IOException {
        PublicKey key = AuditKey.readPublicKey(publicKeyPem);
        keys.put(AuditKey.keyId(key), new Entry(key, true, publicKeyPem.toString()));
        return this;
    }

    public TrustedKeys pin(PublicKey key, String source) {
        keys.put(AuditKey.keyId(key), new Entry(key, true, source));
        return this;
    }

    /** Adds the keys registered in the store that are not pinned already. */
    public TrustedKeys withStoreKeys(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT key_id, public_key FROM audit_key ORDER BY key_id");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String id = rs.getString(1);
                if (keys.containsKey(id)) {
                    continue;
                }
                try {
                    PublicKey key = AuditKey.publicKey(Base64.getDecoder().decode(rs.getString(2)));
                    if (AuditKey.keyId(key).equals(id)) {
                        keys.put(id, new Entry(key, false, "the store's audit_key table"));
                    }
                } catch (GeneralSecurityException | IllegalArgumentException ignored) {
                    // an unreadable key verifies nothing; the checkpoints naming it will fail
                }
            }
        }
        return this;
    }

    public Optional<Entry> find(String keyId) {
        return Optional.ofNullable(keys.get(keyId));
    }
}
