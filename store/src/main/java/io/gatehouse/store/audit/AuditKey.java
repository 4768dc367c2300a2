package io.gatehouse.store.audit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * A replica's audit key: Ed25519 (JDK), kept in {@code <dataDirectory>/audit/audit-key.pem} (private,
 * owner-only) and {@code audit-key.pub.pem} (public, to hand to auditors). Created on first use. It
 * signs checkpoints only; it is a different key from anything that signs tokens, so that one
 * leaking does not forge the other.
 */
public final class AuditKey {

    public static final String ALGORITHM = "Ed25519";
    static final String PRIVATE_FILE = "audit-key.pem";
    static final String PUBLIC_FILE = "audit-key.pub.pem";

    private final PrivateKey privateKey;
    private final PublicKey publicKey;
    private final String keyId;

    private AuditKey(PrivateKey privateKey, PublicKey publicKey) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
        this.keyId = keyId(publicKey);
    }

    /** The key in {@code directory}, created (with its public half) when absent. */
    public static AuditKey loadOrCreate(Path directory) throws IOException {
        Path file = directory.resolve(PRIVATE_FILE);
        if (!Files.exists(file)) {
            create(directory);
        }
        try {
            byte[] pkcs8 = pemBody(Files.readString(file, StandardCharsets.UTF_8), "PRIVATE KEY");
            KeyFactory factory = KeyFactory.getInstance(ALGORITHM);
            PrivateKey priv = factory.generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
            PublicKey pub = readPublicKey(directory.resolve(PUBLIC_FILE));
            AuditKey key = new AuditKey(priv, pub);
            byte[] probe = "gatehouse-audit-key-check".getBytes(StandardCharsets.UTF_8);
            if (!verify(pub, probe, key.sign(probe))) {
                throw new IOException("the audit key pair in " + directory + " does not match: "
                        + PUBLIC_FILE + " is not the public half of " + PRIVATE_FILE);
            }
            return key;
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException("the audit key in " + directory + " cannot be read (" + e.getMessage() + ")", e);
        }
    }

    private static void create(Path directory) throws IOException {
        Files.createDirectories(directory);
        KeyPair pair;
        try {
            pair = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IOException("this JVM cannot generate " + ALGORITHM + " keys", e);
        }
        Path priv = Files.createTempFile(directory, "audit-key", ".tmp");
        try {
            Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            // Not a POSIX file system: the directory's own protection applies.
        }
        Files.writeString(priv, pem("PRIVATE KEY", pair.getPrivate().getEncoded()), StandardCharsets.UTF_8);
        Path pub = Files.createTempFile(directory, "audit-key-pub", ".tmp");
        Files.writeString(pub, pem("PUBLIC KEY", pair.getPublic().getEncoded()), StandardCharsets.UTF_8);
        // The public half first: a private key on disk always has its public half beside it.
        Files.move(pub, directory.resolve(PUBLIC_FILE), StandardCopyOption.REPLACE_EXISTING);
        try {
            Files.move(priv, directory.resolve(PRIVATE_FILE), StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
            Files.deleteIfExists(priv);
        }
    }

    /** Reads a public key from a PEM file ({@code -----BEGIN PUBLIC KEY-----}). */
    public static PublicKey readPublicKey(Path file) throws IOException {
        try {
            return publicKey(pemBody(Files.readString(file, StandardCharsets.UTF_8), "PUBLIC KEY"));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException(file + " is not an " + ALGORITHM + " public key in PEM (" + e.getMessage() + ")", e);
        }
    }

    static PublicKey publicKey(byte[] x509) throws GeneralSecurityException {
        return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(x509));
    }

    /** The first 16 hex digits of SHA-256 over the public key's X.509 encoding. */
    public static String keyId(PublicKey key) {
        return Hashes.sha256Hex(key.getEncoded()).substring(0, 16);
    }

    public String keyId() {
        return keyId;
    }

    public PublicKey publicKey() {
        return publicKey;
    }

    /** The public key as PEM, for {@code audit public-key} and for auditors to pin. */
    public String publicKeyPem() {
        return pem("PUBLIC KEY", publicKey.getEncoded());
    }

    /** Base64 Ed25519 signature. */
    public String sign(byte[] data) {
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initSign(privateKey);
            s.update(data);
            return Base64.getEncoder().encodeToString(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign with the audit key", e);
        }
    }

    public static boolean verify(PublicKey key, byte[] data, String base64Signature) {
        try {
            Signature s = Signature.getInstance(ALGORITHM);
            s.initVerify(key);
            s.update(data);
            return s.verify(Base64.getDecoder().decode(base64Signature));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    static byte[] pemBody(String pem, String type) {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int b = pem.indexOf(begin);
        int e = pem.indexOf(end);
        if (b < 0 || e < b) {
            throw new IllegalArgumentException("no " + type + " block");
        }
        return Base64.getMimeDecoder().decode(pem.substring(b + begin.length(), e));
    }

    @Override
    public String toString() {
        return "AuditKey[" + ALGORITHM + ", " + keyId + "]";
    }
}
