package io.gatehouse.agent;

import io.gatehouse.spi.Secret;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A tiny model, an agent in front of it on a free loopback port with development certificates, and
 * a gateway-side client. Services: {@code echo} (Authorization: Bearer SECRET), {@code raw}
 * (X-Api-Key: SECRET), {@code plain} (no credential), {@code down} (a closed port), {@code slow}
 * (300 ms response timeout).
 */
public final class AgentFixture implements AutoCloseable {

    public static final String SECRET = "sk-test-9f8e7d6c5b4a";

    public final Path dataDirectory;
    public final TinyModel model;
    public final int downPort;
    public final AgentServer server;
    public final AgentClient client;

    private AgentFixture(Path dataDirectory, TinyModel model, int downPort, AgentServer server, AgentClient client) {
        this.dataDirectory = dataDirectory;
        this.model = model;
        this.downPort = downPort;
        this.server = server;
        this.client = client;
    }

    public static AgentFixture start() throws IOException {
        Path data = Files.createTempDirectory("gatehouse-agent-test");
        TinyModel model = new TinyModel();
        int downPort = freePort();
        Secret secret = Secret.of("env:MODEL_KEY", SECRET);
        Map<String, ServiceConfig> services = new LinkedHashMap<>();
        services.put("echo", new ServiceConfig(model.url(), new CredentialConfig(null, null, secret), null, null));
        services.put("raw", new ServiceConfig(model.url(), new CredentialConfig("X-Api-Key", "", secret), null, null));
        services.put("plain", ServiceConfig.of(model.url()));
        services.put("down", new ServiceConfig(URI.create("http://127.0.0.1:" + downPort),
                new CredentialConfig(null, null, secret), null, null));
        services.put("slow", new ServiceConfig(model.url(), new CredentialConfig(null, null, secret), null,
                Duration.ofMillis(300)));
        AgentServer server = AgentServer.start(new AgentSettings(new ListenConfig("127.0.0.1", 0), null, data, services));
        AgentClient client = AgentClient.connect("127.0.0.1", server.port(), ClientTls.dev(data));
        return new AgentFixture(data, model, downPort, server, client);
    }

    /** A port nothing listens on. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws IOException {
        client.close();
        server.close();
        model.close();
        deleteRecursively(dataDirectory);
    }

    public static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
