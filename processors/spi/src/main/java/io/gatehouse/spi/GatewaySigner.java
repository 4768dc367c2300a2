package io.gatehouse.spi;

import java.util.Map;

/**
 * The gateway's own signing key, for statements the gateway makes to others: the identity of a
 * caller told to a model server ({@code Gatehouse-Identity}), audit checkpoints. The gateway keeps
 * the private key under {@code <dataDirectory>/identity/} and serves the public keys at the admin
 * port, {@code /.well-known/gatehouse/jwks.json}, so a receiver can verify what the gateway signed.
 * Find it with {@code services.find(GatewaySigner.class)}. Thread-safe.
 */
public interface GatewaySigner {

    /** The JWKS path on the admin port. */
    String JWKS_PATH = "/.well-known/gatehouse/jwks.json";

    /**
     * Signs {@code claims} as a compact JWS (ES256); the header names the key ({@code kid}) and
     * {@code type} ({@code typ}).
     *
     * @param type   the {@code typ} header, e.g. {@code gatehouse-identity+jwt}
     * @param claims JSON values only: String, Number, Boolean, List and Map of those; times are epoch
     *               seconds
     * @throws IllegalStateException when the key cannot be read or created
     */
    String sign(String type, Map<String, Object> claims);

    /** The public keys as a JWKS document (JSON). */
    String jwks();
}
