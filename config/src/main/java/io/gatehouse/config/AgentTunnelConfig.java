package io.gatehouse.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The gateway's agent-tunnel listener ({@code agentTunnel:} in gateway.yaml): dialling agents connect here with
 * mutual TLS, and each one's certificate identity must be listed under the {@code agents.<name>.identities} it
 * serves.
 *
 * @param host     address to bind
 * @param port     TCP port; 0 = any free port (tests)
 * @param tls      the listener's certificate and the CA of agent certificates; null = development certificates
 *                 under {@code <dataDirectory>/certs}
 * @param slotWait how long a call waits for a free call slot of a connected agent before it fails (503)
 */
public record AgentTunnelConfig(String host, int port, TlsServerSideConfig tls, Duration slotWait) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 7444;
    public static final Duration DEFAULT_SLOT_WAIT = Duration.ofSeconds(10);

    public AgentTunnelConfig {
        Checks.host("host", host);
        if (port < 0 || port > 65535) {
            throw new io.gatehouse.spi.ConfigException("port", "must be between 0 and 65535, got " + port);
        }
        Checks.required("slotWait", slotWait);
        if (slotWait.isNegative() || slotWait.isZero()) {
            throw new io.gatehouse.spi.ConfigException("slotWait", "must be positive, got " + slotWait);
        }
    }

    /**
     * The listener's TLS: its certificate and key, and the CA that signs agent certificates (any other is refused).
     *
     * @param certificate PEM certificate; its host names must match the address the agents dial
     * @param privateKey  PEM PKCS#8 key
     * @param clientCa    PEM CA certificate of the agents' certificates
     */
    public record TlsServerSideConfig(Path certificate, Path privateKey, Path clientCa) {
        public TlsServerSideConfig {
            Checks.required("certificate", certificate);
            Checks.required("privateKey", privateKey);
            Checks.required("clientCa", clientCa);
        }
    }
}
