package io.gatehouse.cli.dev;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.util.UUID;

/**
 * The demo issuer's signing key: an RSA key kept in {@code <data>/dev-issuer/signing-key.json},
 * created on first use, readable by the owner only. For demos and development, never production.
 */
public final class DevKeys {

    private DevKeys() {
    }

    public static Path keyFile(Path dataDirectory) {
        return dataDirectory.resolve("dev-issuer").resolve("signing-key.json");
    }

    public static RSAKey loadOrCreate(Path dataDirectory) throws IOException {
        Path file = keyFile(dataDirectory);
        if (!Files.exists(file)) {
            create(file);
        }
        try {
            return RSAKey.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (ParseException e) {
            throw new IOException("the dev issuer key " + file + " is not a valid JWK (" + e.getMessage()
                    + "); delete it to create a new one", e);
        }
    }

    private static void create(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        RSAKey key;
        try {
            key = new RSAKeyGenerator(2048).keyUse(KeyUse.SIGNATURE).keyID("dev-" + UUID.randomUUID())
                    .algorithm(com.nimbusds.jose.JWSAlgorithm.RS256).generate();
        } catch (JOSEException e) {
            throw new IOException("cannot generate the dev issuer key", e);
        }
        Path tmp = Files.createTempFile(file.getParent(), "signing-key", ".tmp");
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            // Not a POSIX file system: the directory's own protection applies.
        }
        Files.writeString(tmp, key.toJSONString(), StandardCharsets.UTF_8);
        try {
            // Another process may create the key at the same moment: the first one wins, both use it.
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
            Files.deleteIfExists(tmp);
        }
    }
}
