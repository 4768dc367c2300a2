package io.gatehouse.agent;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The gateway's side of the mutual TLS link to an agent. PEM files; the key is PKCS#8.
 *
 * @param certificate the gateway's client certificate (chain)
 * @param privateKey  its private key
 * @param trustedCa   the CA that signed the agent's server certificate
 */
public record ClientTls(Path certificate, Path privateKey, Path trustedCa) {

    public ClientTls {
        Objects.requireNonNull(certificate, "certificate");
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(trustedCa, "trustedCa");
    }

    /** The development certificates under {@code <dataDirectory>/certs}, created if missing. */
    public static ClientTls dev(Path dataDirectory) {
        DevCertificates.CertificateFiles files = DevCertificates.ensure(dataDirectory);
        return new ClientTls(files.gatewayCertificate(), files.gatewayKey(), files.caCertificate());
    }
}
