package io.gatehouse.gateway.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.gatehouse.spi.GatewaySigner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;
import java.util.Map;

/**
 * The gateway's own signing key: an EC P-256 key (ES256) kept in
 * {@code <dataDirectory>/identity/signing-key.json}, readable by the owner only, created on first
 * use; its key id is its RFC 7638 thumbprint. Several gateway replicas that share the data
 * directory share the key. Nothing is read or written until the key is first needed, so
 * {@code config validate} leaves no file behind. To rotate, stop the gateway, delete the file, start
 * again: receivers refetch the JWKS on an unknown key id. Thread-safe.
 */
public final class GatewaySigningKey implements GatewaySigner {

    private final Path file;
    private volatile ECKey key;
    private volatile ECDSASigner signer;

    private GatewaySigningKey(Path file) {
        this.file = file;
    }

    /** The key of this data directory; nothing is read yet. */
    public static GatewaySigningKey at(Path dataDirectory) {
        return new GatewaySigningKey(keyFile(dataDirectory));
    }

    public static Path keyFile(Path dataDirectory) {
        return dataDirectory.resolve("identity").resolve("signing-key.json");
    }

    @Override
    public String sign(String type, Map<String, Object> claims) {
        ECKey k = key();
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(k.getKeyID())
                    .type(new JOSEObjectType(type)).build(), JWTClaimsSet.parse(claims));
            jwt.sign(signer);
            return jwt.serialize();
        } catch (ParseException e) {
            throw new IllegalArgumentException("the claims are not a JWT claims set: " + e.getMessage(), e);
        } catch (JOSEException e) {
            throw new IllegalStateException("signing with the gateway key failed", e);
        }
    }

    @Override
    public String jwks() {
        return new JWKSet(key().toPublicJWK()).toString();
    }

    private ECKey key() {
        ECKey k = key;
        if (k != null) {
            return k;
        }
        synchronized (this) {
            if (key == null) {
                try {
                    ECKey loaded = loadOrCreate(file);
                    signer = new ECDSASigner(loaded);
                    key = loaded;
                } catch (IOException e) {
                    throw new UncheckedIOException("the gateway signing key " + file + " cannot be read or created", e);
                } catch (JOSEException e) {
                    throw new IllegalStateException("the gateway signing key " + file + " is not an EC P-256 key", e);
                }
            }
            return key;
        }
    }

    private static ECKey loadOrCreate(Path file) throws IOException {
        if (!Files.exists(file)) {
            create(file);
        }
        try {
            ECKey loaded = ECKey.parse(Files.readString(file, StandardCharsets.UTF_8));
            if (!loaded.isPrivate() || !Curve.P_256.equals(loaded.getCurve())) {
                throw new IOException("the gateway signing key " + file + " is not a private EC P-256 key; delete it"
                        + " to create a new one");
            }
            return loaded;
        } catch (ParseException e) {
            throw new IOException("the gateway signing key " + file + " is not a valid JWK (" + e.getMessage()
                    + "); delete it to create a new one", e);
        }
    }

    private static void create(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        ECKey generated;
        try {
            ECKey raw = new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
                    .generate();
            generated = new ECKey.Builder(raw).keyIDFromThumbprint().build();
        } catch (JOSEException e) {
            throw new IOException("cannot generate the gateway signing key", e);
        }
        Path tmp = Files.createTempFile(file.getParent(), "signing-key", ".tmp");
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            // Not a POSIX file system: the directory's own protection applies.
        }
        Files.writeString(tmp, generated.toJSONString(), StandardCharsets.UTF_8);
        try {
            // Another replica may create the key at the same moment: the first one wins, both use it.
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
            Files.deleteIfExists(tmp);
        }
    }
}
