package io.gatehouse.agent;

import io.gatehouse.spi.ConfigException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Dial-out mode ({@code gateway:} in {@code agent.yaml}): the agent opens the connection to the gateway's
 * agent-tunnel listener and serves the gateway's calls over it, so the model's network needs no inbound path.
 *
 * @param address        the gateway's tunnel listener, {@code host:port}
 * @param agent          the gateway's {@code agents.<name>} this agent serves; the certificate's identity must be
 *                       pinned to it in the gateway's config
 * @param tls            this agent's client certificate and the CA of the gateway's server certificate; null =
 *                       the development certificates under {@code <dataDirectory>/certs}
 * @param idleSlots      call slots kept open ahead of need (a call arriving when none is idle waits one round
 *                       trip for the next); default 8
 * @param reconnectMin   first wait before reconnecting after a lost connection; default 250ms
 * @param reconnectMax   longest wait between attempts (the wait doubles, with jitter, up to this); default 30s
 */
public record DialOutConfig(String address, String agent, DialOutTls tls, Integer idleSlots, Duration reconnectMin,
                            Duration reconnectMax) {

    public static final int DEFAULT_IDLE_SLOTS = 8;
    public static final int MAX_IDLE_SLOTS = 1024;
    public static final Duration DEFAULT_RECONNECT_MIN = Duration.ofMillis(250);
    public static final Duration DEFAULT_RECONNECT_MAX = Duration.ofSeconds(30);

    /**
     * The agent's side of the mutual TLS link in dial-out mode. PEM; the key is PKCS#8.
     *
     * @param certificate the agent's client certificate; its identity (first DNS subject alternative name,
     *                    else common name) is what the gateway pins to an agent name
     * @param privateKey  its key
     * @param trustedCa   the CA that signed the gateway's tunnel server certificate
     */
    public record DialOutTls(Path certificate, Path privateKey, Path trustedCa) {
        public DialOutTls {
            if (certificate == null) {
                throw new ConfigException("certificate", "is required (a PEM certificate file)");
            }
            if (privateKey == null) {
                throw new ConfigException("privateKey", "is required (a PEM PKCS#8 private key file)");
            }
            if (trustedCa == null) {
                throw new ConfigException("trustedCa", "is required (the PEM CA certificate of the gateway's tunnel listener)");
            }
        }
    }

    public DialOutConfig {
        if (address == null || address.isBlank()) {
            throw new ConfigException("address", "is required (the gateway's agent-tunnel listener, e.g. gatehouse.example:7444)");
        }
        hostAndPort(address);
        if (agent == null || agent.isBlank()) {
            throw new ConfigException("agent", "is required (the name of this agent in the gateway's agents:, e.g. local)");
        }
        if (idleSlots == null) {
            idleSlots = DEFAULT_IDLE_SLOTS;
        } else if (idleSlots < 1 || idleSlots > MAX_IDLE_SLOTS) {
            throw new ConfigException("idleSlots", "must be between 1 and " + MAX_IDLE_SLOTS + ", got " + idleSlots);
        }
        reconnectMin = positive("reconnectMin", reconnectMin, DEFAULT_RECONNECT_MIN);
        reconnectMax = positive("reconnectMax", reconnectMax, DEFAULT_RECONNECT_MAX);
        if (reconnectMax.compareTo(reconnectMin) < 0) {
            throw new ConfigException("reconnectMax", "must not be shorter than reconnectMin (" + reconnectMin + ")");
        }
    }

    /** Host of {@link #address()}. */
    public String host() {
        return hostAndPort(address)[0];
    }

    /** Port of {@link #address()}. */
    public int port() {
        return Integer.parseInt(hostAndPort(address)[1]);
    }

    private static String[] hostAndPort(String address) {
        int colon = address.lastIndexOf(':');
        String host = colon < 0 ? "" : address.substring(0, colon);
        String port = colon < 0 ? "" : address.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (host.isEmpty() || !port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
            throw new ConfigException("address", "value '" + address + "' (expected: host:port, like gatehouse.example:7444)");
        }
        return new String[] {host, port};
    }

    private static Duration positive(String field, Duration value, Duration fallback) {
        if (value == null) {
            return fallback;
        }
        if (value.isNegative() || value.isZero()) {
            throw new ConfigException(field, "must be positive, got " + value);
        }
        return value;
    }
}
