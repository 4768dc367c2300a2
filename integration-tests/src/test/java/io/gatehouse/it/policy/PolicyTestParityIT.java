package io.gatehouse.it.policy;

import static io.gatehouse.it.support.TempDirs.write;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.agent.AgentServer;
import io.gatehouse.cli.GatehouseCommand;
import io.gatehouse.cli.dev.DevIssuer;
import io.gatehouse.cli.dev.DevKeys;
import io.gatehouse.cli.dev.DevTokens;
import io.gatehouse.cli.policy.PolicyTestCase;
import io.gatehouse.cli.policy.PolicyTestFile;
import io.gatehouse.cli.policy.TestCaller;
import io.gatehouse.config.YamlFiles;
import io.gatehouse.gateway.route.GatewayRuntime;
import io.gatehouse.it.support.Closer;
import io.gatehouse.it.support.TempDirs;
import io.gatehouse.it.support.TestAgent;
import io.gatehouse.it.support.TestConfig;
import io.gatehouse.samplemodel.SampleModelServer;
import io.gatehouse.samplemodel.SampleModelSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code policy test} decides as the gateway does: the demo's expectation files pass through the command
 * (with a JUnit report), and every case that states an HTTP request, sent to the real gateway (dev issuer
 * tokens for the case's caller, agent, sample model), gets the very status the case expects.
 */
class PolicyTestParityIT {

    private static final String AUDIENCE = "gatehouse";
    private static final String KEY_VARIABLE = "GATEHOUSE_IT_PARITY_KEY";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path root;
    private static Path config;
    private static RSAKey devKey;
    private static DevIssuer issuer;
    private static GatewayRuntime gateway;
    private static final Closer STARTED = new Closer();

    @BeforeAll
    static void start() throws Exception {
        root = Files.createTempDirectory("gatehouse-it-policy-test-");
        Path data = root.resolve("data");
        String key = TestAgent.randomKey();
        SampleModelServer model = STARTED.add(SampleModelServer.start(SampleModelSettings.loopback(key)
                .withTokenDelay(Duration.ZERO)));
        AgentServer agent = STARTED.add(TestAgent.start(root.resolve("agent/agent.yaml"), data,
                Map.of("demo-model", model.baseUri()), KEY_VARIABLE, key));
        devKey = DevKeys.loadOrCreate(data);
        issuer = STARTED.add(DevIssuer.start("127.0.0.1", 0, devKey, false));
        config = root.resolve("config");
        write(config.resolve("gateway.yaml"), "listeners:\n  http:\n    host: 127.0.0.1\n    port: 0\n"
                + "  grpc:\n    protocol: grpc\n    host: 127.0.0.1\n    port: 0\n"
                + "admin:\n  host: 127.0.0.1\n  port: 0\nagents:\n  local:\n    address: 127.0.0.1:" + agent.port()
                + "\ndataDirectory: " + data + "\nidentity:\n  providers:\n    dev:\n      issuer: " + issuer.issuer()
                + "\n      audiences: [" + AUDIENCE + "]\n");
        String pipeline = "pipeline:\n  - recording: {}\n  - auth:\n      providers: [dev]\n  - policy: {}\n"
                + "  - approval:\n      approvers: [ml-leads]\n";
        write(config.resolve("endpoints/openai.yaml"), "id: openai\nlistener: http\npath: /v1\nprotocol: openai\n"
                + "target:\n  agent: local\n  service: demo-model\n" + pipeline);
        write(config.resolve("endpoints/kserve-grpc.yaml"), "id: kserve-grpc\nlistener: grpc\n"
                + "models: [demo-small, demo-large]\nserverCalls: true\nprotocol: kserve-v2\n"
                + "target:\n  agent: local\n  service: demo-grpc\n" + pipeline);
        TestConfig.copyDemoPolicies(config);
        TestConfig.writeOllamaEndpoint(config, "demo-model"); // the demo's policies name it too
        Path tests = Files.createDirectories(config.resolve("policies/tests"));
        try (Stream<Path> files = Files.list(TestConfig.DEMO_POLICIES.resolve("tests"))) {
            for (Path f : files.toList()) {
                Files.copy(f, tests.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        gateway = STARTED.add(TestConfig.startGateway(config));
    }

    @AfterAll
    static void stop() {
        STARTED.close();
        if (root != null) {
            TempDirs.deleteTreeQuietly(root);
        }
    }

    @Test
    void theDemoExpectationsPassThroughTheCommandAndTheJUnitReportCountsThem() throws Exception {
        Path junit = root.resolve("reports/policy-tests.xml");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream previous = System.out;
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            exit = GatehouseCommand.commandLine().execute("policy", "test", config.toString(), "--junit",
                    junit.toString());
        } finally {
            System.setOut(previous);
        }

        assertThat(exit).as(out.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).endsWith("16 cases, 16 passed, 0 failed\n");
        assertThat(Files.readString(junit)).contains("<testsuites name=\"gatehouse policy test\" tests=\"16\" "
                + "failures=\"0\"");
    }

    @Test
    void everyHttpCaseGetsTheExpectedStatusFromTheRealGateway() throws Exception {
        List<String> checked = new ArrayList<>();
        List<String> mismatches = new ArrayList<>();
        try (Stream<Path> files = Files.list(config.resolve("policies/tests"))) {
            for (Path f : files.sorted().toList()) {
                PolicyTestFile file = YamlFiles.bindLocated(f, f.getFileName().toString(), PolicyTestFile.class,
                        name -> null).orThrow().value();
                for (PolicyTestCase c : file.cases()) {
                    if (c.request().operation() != null || c.expect().status() == null) {
                        continue;   // stated as an operation: no HTTP request to send
                    }
                    TestCaller caller = c.caller() != null ? c.caller() : file.caller();
                    int status = send(caller, c).statusCode();
                    checked.add(c.name());
                    if (status != c.expect().status()) {
                        mismatches.add(f.getFileName() + " '" + c.name() + "': expected " + c.expect().status()
                                + ", the gateway answered " + status);
                    }
                }
            }
        }

        assertThat(mismatches).isEmpty();
        assertThat(checked).hasSize(15).contains("a batch job is held for an ml-leads approval",
                "a body that is not JSON is refused before any policy", "alice chats with demo-small and never sees "
                        + "usage or log-probabilities");
    }

    private static HttpResponse<String> send(TestCaller caller, PolicyTestCase c) throws Exception {
        String token = DevTokens.issue(devKey, issuer.issuer(), AUDIENCE, caller.user(),
                caller.groups() == null ? List.of() : caller.groups(), caller.amr() == null ? List.of() : caller.amr(),
                Duration.ofMinutes(10), Instant.now());
        Object body = YamlFiles.plain(c.request().body());
        String text = body == null ? null : body instanceof String s ? s : JSON.writeValueAsString(body);
        String method = c.request().method() != null ? c.request().method() : text != null ? "POST" : "GET";
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port("http")
                        + c.request().path()))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30))
                .method(method, text == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(text));
        request.header("Content-Type", "application/json");
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
