package io.gatehouse.gateway.route;

import io.gatehouse.agent.AgentClient;
import io.gatehouse.agent.ClientTls;
import io.gatehouse.config.AgentConnectionConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Connects the gateway to its agents over mutual TLS, with dev certificates when none are configured. */
final class AgentConnections {

    private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(2);

    private AgentConnections() {
    }

    static AgentClient connect(AgentConnectionConfig agent, AgentConnectionConfig.Address address, Path dataDirectory)
            throws IOException {
        ClientTls tls = agent.tls() == null
                ? ClientTls.dev(dataDirectory)
                : new ClientTls(agent.tls().certificate(), agent.tls().privateKey(), agent.tls().trustedCa());
        return AgentClient.connect(address.host(), address.port(), tls);
    }

    /** Null when the agent answers its health call, else why not. */
    static String check(AgentClient client) {
        try {
            client.health(HEALTH_TIMEOUT).get(HEALTH_TIMEOUT.toMillis() + 500, TimeUnit.MILLISECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause() == null ? e.toString() : e.getCause().getMessage();
        } catch (TimeoutException e) {
            return "no answer within " + HEALTH_TIMEOUT.toSeconds() + "s";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
