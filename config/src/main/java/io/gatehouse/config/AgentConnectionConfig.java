package io.gatehouse.config;

import io.gatehouse.spi.ConfigException;
import java.util.List;

/**
 * How the gateway reaches the agents serving one name: listening agents it dials ({@code addresses}), and the
 * certificate identities of agents that dial in through the agent tunnel ({@code identities}). Calls are spread
 * over all of them that are reachable.
 *
 * @param name       the agent's name in {@code gateway.yaml}, used by endpoints' {@code target.agent}
 * @param addresses  listening agents, possibly none
 * @param tls        client certificates, or null to use the dev certificates under {@code <dataDirectory>/certs}
 * @param identities certificate identities (common names) of agents that dial in as this name, possibly none
 */
public record AgentConnectionConfig(String name, List<Address> addresses, TlsClientConfig tls, List<String> identities) {

    /** One listening agent. */
    public record Address(String host, int port) {
        public Address {
            Checks.host("host", host);
            if (port < 1 || port > 65535) {
                throw new ConfigException("port", "must be between 1 and 65535, got " + port);
            }
        }

        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    public AgentConnectionConfig {
        Checks.required("name", name);
        addresses = addresses == null ? List.of() : List.copyOf(addresses);
        identities = identities == null ? List.of() : List.copyOf(identities);
        if (addresses.isEmpty() && identities.isEmpty()) {
            throw new ConfigException("address", "is required (a listening agent's host:port), or identities of agents"
                    + " that dial in");
        }
    }

    /** One listening agent. */
    public AgentConnectionConfig(String name, String host, int port, TlsClientConfig tls) {
        this(name, List.of(new Address(host, port)), tls, List.of());
    }

    /** The first listening agent's host, or null when every agent of this name dials in. */
    public String host() {
        return addresses.isEmpty() ? null : addresses.get(0).host();
    }

    /** The first listening agent's port, or -1 when every agent of this name dials in. */
    public int port() {
        return addresses.isEmpty() ? -1 : addresses.get(0).port();
    }
}
