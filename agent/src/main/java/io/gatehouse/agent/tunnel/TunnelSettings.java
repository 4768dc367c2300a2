package io.gatehouse.agent.tunnel;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The gateway's agent-tunnel listener.
 *
 * @param host        address to bind
 * @param port        TCP port; 0 picks a free one
 * @param certificate the listener's certificate (PEM); the dialling agents check it against their trusted CA
 * @param privateKey  its key (PEM, PKCS#8)
 * @param clientCa    the CA an agent's certificate must be issued by; any other is refused (and recorded)
 * @param identities  certificate identity (common name) → the {@code agents.<name>} it may serve
 * @param slotWait    how long a call waits for a free call slot of a connected agent before it fails
 */
public record TunnelSettings(String host, int port, Path certificate, Path privateKey, Path clientCa,
                             Map<String, String> identities, Duration slotWait) {

    public TunnelSettings {
        identities = Map.copyOf(identities);
    }
}
