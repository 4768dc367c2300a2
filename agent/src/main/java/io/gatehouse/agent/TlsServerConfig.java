package io.gatehouse.agent;

import io.gatehouse.spi.ConfigException;
import java.nio.file.Path;

/**
 * The agent's TLS identity and the CA that signs the gateway's client certificates. All PEM;
 * the key is PKCS#8.
 *
 * @param certificate the agent's certificate chain
 * @param privateKey  the agent's private key
 * @param clientCa    the CA a client certificate must be signed by; any other peer is refused
 */
public record TlsServerConfig(Path certificate, Path privateKey, Path clientCa) {

    public TlsServerConfig {
        if (certificate == null) {
            throw new ConfigException("certificate", "is required (a PEM certificate file)");
        }
        if (privateKey == null) {
            throw new ConfigException("privateKey", "is required (a PEM PKCS#8 private key file)");
        }
        if (clientCa == null) {
            throw new ConfigException("clientCa", "is required (the PEM CA certificate that signs gateway client certificates)");
        }
    }
}
