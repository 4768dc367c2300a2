package io.gatehouse.config;

import java.nio.file.Path;

/**
 * The gateway's mTLS client side towards an agent; paths are absolute once loaded (relative ones are
 * resolved against the config directory).
 *
 * @param certificate PEM client certificate
 * @param privateKey  PEM private key of that certificate
 * @param trustedCa   PEM CA certificate that signed the agent's server certificate
 */
public record TlsClientConfig(Path certificate, Path privateKey, Path trustedCa) {

    public TlsClientConfig {
        Checks.required("certificate", certificate);
        Checks.required("privateKey", privateKey);
        Checks.required("trustedCa", trustedCa);
    }
}
