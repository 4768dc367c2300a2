package io.gatehouse.config;

import io.gatehouse.spi.ConfigException;

/**
 * How the gateway reaches one agent.
 *
 * @param name the agent's name in {@code gateway.yaml}, used by endpoints' {@code target.agent}
 * @param host the agent's host
 * @param port the agent's port
 * @param tls  client certificates, or null to use the dev certificates under {@code <dataDirectory>/certs}
 */
public record AgentConnectionConfig(String name, String host, int port, TlsClientConfig tls) {

    public AgentConnectionConfig {
        Checks.required("name", name);
        Checks.host("host", host);
        if (port < 1 || port > 65535) {
            throw new ConfigException("port", "must be between 1 and 65535, got " + port);
        }
    }
}
