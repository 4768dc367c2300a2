package io.gatehouse.store.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A replica's id when config names none: generated once ({@code r-} and 8 random hex digits) and
 * kept in {@code <dataDirectory>/audit/replica-id}, so a restarted replica continues its own chain.
 */
public final class ReplicaIds {

    static final String FILE = "replica-id";

    private ReplicaIds() {
    }

    public static String loadOrCreate(Path dataDirectory) throws IOException {
        Path file = dataDirectory.resolve("audit").resolve(FILE);
        if (!Files.exists(file)) {
            Files.createDirectories(file.getParent());
            byte[] random = new byte[4];
            new SecureRandom().nextBytes(random);
            try {
                Files.writeString(file, "r-" + HexFormat.of().formatHex(random) + "\n", StandardCharsets.UTF_8,
                        java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
            } catch (FileAlreadyExistsException raced) {
                // another process created it first: use theirs
            }
        }
        String id = Files.readString(file, StandardCharsets.UTF_8).trim();
        if (!AuditSettings.isValidReplicaId(id)) {
            throw new IOException(file + " holds '" + id + "', which is not a replica id (lower-case letters, digits"
                    + " and '-')");
        }
        return id;
    }
}
