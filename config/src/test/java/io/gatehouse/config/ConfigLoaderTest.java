package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.TestSteps.AuthConfig;
import io.gatehouse.config.TestSteps.HeaderStampConfig;
import io.gatehouse.config.TestSteps.LimitsConfig;
import io.gatehouse.spi.ByteSize;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path temp;

    ConfigDir dir;

    @BeforeEach
    void validGatewayYaml() {
        dir = new ConfigDir(temp);
    }

    // --- valid configs ---

    @Test
    void demoExampleLoadsWithEveryStepBoundToItsRecord() {
        GatewayConfig config = new ConfigLoader(TestSteps.DEMO_CATALOGUE, TestSteps.SECTIONS, TestSteps.DIRECTORIES,
                name -> null).load(Path.of("examples/demo")).orThrow();

        assertThat(config.directory()).isEqualTo(Path.of("examples/demo").toAbsolutePath().normalize());
        assertThat(config.listeners()).containsExactly(Map.entry("http", new ListenerConfig("127.0.0.1", 8080,
                ByteSize.parse("10MiB"), ByteSize.parse("32KiB"))), Map.entry("grpc", new ListenerConfig("127.0.0.1",
                9090, ByteSize.parse("4MiB"), ByteSize.parse("16KiB"), ListenerProtocol.GRPC)));
        assertThat(config.admin()).isEqualTo(new AdminConfig("127.0.0.1", 8081, java.util.Optional.of(
                new TestSteps.ProvidersAuthConfig(java.util.List.of("dev"), null)), java.util.List.of("auditors"),
                java.util.Optional.of(new ConsoleConfig(java.net.URI.create("http://127.0.0.1:8090"),
                        "gatehouse-console", java.util.List.of("ml-leads"), java.time.Duration.ofHours(8), 1000,
                        java.util.Optional.empty(), java.util.List.of("2")))));
        assertThat(config.agents()).containsExactly(
                Map.entry("local", new AgentConnectionConfig("local", "127.0.0.1", 7443, null)));
        assertThat(config.dataDirectory()).isEqualTo(Path.of("data").toAbsolutePath());
        assertThat(config.store().onStoreFailure()).isEqualTo(StoreConfig.OnFailure.FAIL_CLOSED);
        assertThat(config.pluginsDirectory()).contains(Path.of("../plugins/header-stamp/target").toAbsolutePath()
                .normalize());
        assertThat(config.endpoints()).extracting(EndpointConfig::id)
                .containsExactlyInAnyOrder("openai", "ollama", "kserve-grpc");
        EndpointConfig ollama = config.endpoint("ollama").orElseThrow();
        assertThat(ollama.path()).isEqualTo("/ollama");
        assertThat(ollama.protocol()).isEqualTo("ollama");
        assertThat(ollama.target()).isEqualTo(new TargetConfig("local", "demo-model", true));
        assertThat(config.endpoint("kserve-grpc").orElseThrow().models()).containsExactly("demo-small", "demo-large");
        EndpointConfig openai = config.endpoint("openai").orElseThrow();
        assertThat(openai.listener()).isEqualTo("http");
        assertThat(openai.path()).isEqualTo("/v1");
        assertThat(openai.protocol()).isEqualTo("openai");
        assertThat(openai.target()).isEqualTo(new TargetConfig("local", "demo-model"));
        assertThat(openai.file()).isEqualTo("endpoints/openai.yaml");
        assertThat(openai.pipeline()).extracting(StepConfig::id, StepConfig::nodeId, StepConfig::line, StepConfig::column)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("recording", "openai.recording", 13, 5),
                        org.assertj.core.groups.Tuple.tuple("limits", "openai.limits", 19, 5),
                        org.assertj.core.groups.Tuple.tuple("auth", "openai.auth", 23, 5),
                        org.assertj.core.groups.Tuple.tuple("policy", "openai.policy", 25, 5),
                        org.assertj.core.groups.Tuple.tuple("approval", "openai.approval", 27, 5),
                        org.assertj.core.groups.Tuple.tuple("masking", "openai.masking", 29, 5),
                        org.assertj.core.groups.Tuple.tuple("header-stamp", "openai.header-stamp", 31, 5));
        assertThat(config.files("policies")).extracting(io.gatehouse.spi.ConfigFile::path).containsExactly(
                "policies/analysts.yaml", "policies/auditors.yaml", "policies/ml-engineers.yaml",
                "policies/ml-leads.yaml");
        assertThat(openai.pipeline().get(0).config(TestSteps.RecordingConfig.class)).isEqualTo(
                new TestSteps.RecordingConfig(ByteSize.parse("64KiB"), null, null, 30,
                        new TestSteps.RecordingConfig.RecordingMasking(Map.of("email", "redact", "phone", "redact",
                                "credit-card", "redact", "iban", "redact", "us-ssn", "redact", "ip-address", "redact",
                                "secret", "redact"))));
        openai = new EndpointConfig(openai.id(), openai.listener(), openai.path(), openai.protocol(), openai.target(),
                openai.pipeline().subList(1, openai.pipeline().size()), openai.file());
        assertThat(openai.pipeline().get(0).config(LimitsConfig.class)).isEqualTo(new LimitsConfig(
                ByteSize.parse("1MiB"), ByteSize.parse("16KiB"), Duration.ofSeconds(120)));
        assertThat(openai.pipeline().get(1).config(TestSteps.ProvidersAuthConfig.class))
                .isEqualTo(new TestSteps.ProvidersAuthConfig(java.util.List.of("dev"), null));
        assertThat(config.section("identity")).contains(new TestSteps.IdentitySection(Map.of("dev",
                new TestSteps.IdentitySection.Provider("http://127.0.0.1:8090", java.util.List.of("gatehouse"), null)),
                null));
        assertThat(openai.pipeline().get(2).config(TestSteps.PolicyStepConfig.class))
                .isEqualTo(new TestSteps.PolicyStepConfig(true));
        assertThat(openai.pipeline().get(3).config(TestSteps.ApprovalStepConfig.class))
                .isEqualTo(new TestSteps.ApprovalStepConfig(java.util.List.of("ml-leads")));
        assertThat(openai.pipeline().get(4).config(TestSteps.MaskingStepConfig.class))
                .isEqualTo(new TestSteps.MaskingStepConfig(java.util.List.of("pii-readers")));
        assertThat(openai.pipeline().get(5).config(HeaderStampConfig.class))
                .isEqualTo(new HeaderStampConfig("Gatehouse-Served-By", "gatehouse-demo"));
    }

    @Test
    void absentKeysTakeTheirDefaults() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));

        GatewayConfig config = dir.load().orThrow();

        assertThat(config.listeners().get("http")).isEqualTo(new ListenerConfig("127.0.0.1", 8080,
                ByteSize.ofBytes(10 * 1024 * 1024), ByteSize.ofBytes(32 * 1024)));
        assertThat(config.admin()).isEqualTo(new AdminConfig("127.0.0.1", 8081));
        assertThat(config.dataDirectory()).isEqualTo(Path.of("data").toAbsolutePath());
        assertThat(config.pluginsDirectory()).isEmpty();
        assertThat(config.endpoints().get(0).listener()).isEqualTo("http");
        assertThat(config.endpoints().get(0).pipeline()).isEmpty();
    }

    @Test
    void aStepWithoutABodyBindsAsAnEmptyMap() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1", "  - header-stamp:", "  - limits: {}"));

        EndpointConfig chat = dir.load().orThrow().endpoints().get(0);

        assertThat(chat.pipeline()).extracting(StepConfig::config).containsExactly(
                new HeaderStampConfig(null, null), new LimitsConfig(null, null, null));
    }

    @Test
    void aRepeatedStepIdGetsANumberedNodeId() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1",
                "  - header-stamp: {name: A, value: a}", "  - limits: {}", "  - header-stamp: {name: B, value: b}",
                "  - header-stamp: {name: C, value: c}"));

        assertThat(dir.load().orThrow().endpoints().get(0).pipeline()).extracting(StepConfig::nodeId)
                .containsExactly("chat.header-stamp", "chat.limits", "chat.header-stamp-2", "chat.header-stamp-3");
    }

    @Test
    void yesAndNoStayStringsAsInYaml12() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1", "  - header-stamp: {name: yes, value: no}"));

        assertThat(dir.load().orThrow().endpoints().get(0).pipeline().get(0).config())
                .isEqualTo(new HeaderStampConfig("yes", "no"));
    }

    @Test
    void pathsInGatewayYamlResolveAgainstTheConfigDirectory() {
        dir.write("gateway.yaml", ConfigDir.GATEWAY + """
                    tls:
                      certificate: certs/gateway.crt
                      privateKey: /etc/gatehouse/gateway.key
                      trustedCa: ../ca.crt
                plugins:
                  directory: plugins
                dataDirectory: /var/lib/gatehouse
                """);
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));

        GatewayConfig config = dir.load().orThrow();

        assertThat(config.agents().get("local").tls()).isEqualTo(new TlsClientConfig(temp.resolve("certs/gateway.crt"),
                Path.of("/etc/gatehouse/gateway.key"), temp.getParent().resolve("ca.crt")));
        assertThat(config.pluginsDirectory()).contains(temp.resolve("plugins"));
        assertThat(config.dataDirectory()).isEqualTo(Path.of("/var/lib/gatehouse"));
    }

    @Test
    void pluginsDirectoryIsReadCheaplyAndResolvedAgainstTheConfigDirectory() {
        assertThat(ConfigLoader.pluginsDirectory(temp)).isEmpty();

        dir.write("gateway.yaml", ConfigDir.GATEWAY + "plugins:\n  directory: extra/jars\n");
        assertThat(ConfigLoader.pluginsDirectory(temp)).contains(temp.resolve("extra/jars"));

        dir.write("gateway.yaml", "plugins: [\n");
        assertThat(ConfigLoader.pluginsDirectory(temp)).isEmpty();
    }

    // --- step binding errors ---

    @Test
    void unknownKeyInAStepIsAnErrorListingTheAcceptedKeys() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1", "  - limits: {maxBody: 1MiB}"));

        assertThat(dir.errors()).containsExactly("endpoints/chat.yaml:8:14: endpoint 'chat' step 'limits': "
                + "unknown key 'maxBody' (accepted: maxBodyBytes, maxHeaderBytes, requestTimeout)");
    }

    @Test
    void unknownStepIdIsAnErrorNamingTheKnownIdsSorted() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1", "  - limit: {}"));

        assertThat(dir.errors()).containsExactly("endpoints/chat.yaml:8:5: endpoint 'chat': "
                + "unknown step 'limit' (known steps: auth, header-stamp, limits, rate)");
    }

    @Test
    void badDurationNamesTheFieldAndTheExpectedFormat() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1", "  - limits:", "      requestTimeout: soon"));

        assertThat(dir.errors()).containsExactly("endpoints/chat.yaml:9:23: endpoint 'chat' step 'limits' "
                + "field 'requestTimeout': value 'soon' (expected: a duration like 30s, 5m, 250ms)");
    }

    @Test
    void durationsAcceptShortUnitsAndIso8601() {
        for (Map.Entry<String, Duration> e : Map.of("250ms", Duration.ofMillis(250), "30s", Duration.ofSeconds(30),
                "5m", Duration.ofMinutes(5), "1h", Duration.ofHours(1), "2d", Duration.ofDays(2),
                "PT30S", Duration.ofSeconds(30), "PT1.5S", Duration.ofMillis(1500)).entrySet()) {
            dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1", "  - limits: {requestTimeout: " + e.getKey() + "}"));

            assertThat(dir.load().orThrow().endpoints().get(0).pipeline().get(0).config(LimitsConfig.class).requestTimeout())
                    .as(e.getKey()).isEqualTo(e.getValue());
        }
    }

    @Test
    void badEnumListsTheAcceptedValuesInDashForm() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1", "  - rate: {algorithm: leaky-bucket, requests: 10}"));

        assertThat(dir.errors()).containsExactly("endpoints/chat.yaml:8:23: endpoint 'chat' step 'rate' "
                + "field 'algorithm': value 'leaky-bucket' (expected: fixed-window|sliding-window)");
    }

    @Test
    void enumsBindFromTheirDashForm() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1",
                "  - rate: {algorithm: sliding-window, requests: 10, window: 1m, groups: [a, b]}"));

        assertThat(dir.load().orThrow().endpoints().get(0).pipeline().get(0).config()).isEqualTo(new TestSteps.RateConfig(
                TestSteps.RateConfig.Algorithm.SLIDING_WINDOW, 10, Duration.ofMinutes(1), java.util.Set.of("a", "b")));
    }

    @Test
    void badSizeNamesTheExpectedFormat() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1", "  - limits: {maxBodyBytes: 1 megabyte}"));

        assertThat(dir.errors()).containsExactly("endpoints/chat.yaml:8:28: endpoint 'chat' step 'limits' "
                + "field 'maxBodyBytes': value '1 megabyte' (expected: a size like 512, 16KiB, 1MiB)");
    }

    @Test
    void configExceptionFromARecordConstructorIsPositionedAtTheField() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1", "  - limits: {requestTimeout: 0s}"));

        assertThat(dir.errors()).containsExactly("endpoints/chat.yaml:8:30: endpoint 'chat' step 'limits' "
                + "field 'requestTimeout': must be positive, got PT0S");
    }

    @Test
    void configExceptionAboutAnAbsentFieldIsPositionedAtTheStep() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1", "  - auth: {issuer: x}", "  - auth:"));

        assertThat(dir.errors()).containsExactly(
                "endpoints/chat.yaml:8:11: endpoint 'chat' step 'auth' field 'jwksUrl': is required",
                "endpoints/chat.yaml:9:5: endpoint 'chat' step 'auth' field 'jwksUrl': is required");
    }

    @Test
    void aMissingPrimitiveComponentIsRequired() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1", "  - rate: {algorithm: fixed-window}"));

        assertThat(dir.errors()).containsExactly(
                "endpoints/chat.yaml:8:11: endpoint 'chat' step 'rate' field 'requests': is required");
    }

    @Test
    void wrongShapesNameWhatWasWrittenAndWhatIsExpected() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1",
                "  - rate: {requests: [1], groups: x}",
                "  - limits: 5",
                "  - limits: {}",
                "    auth: {}"));

        assertThat(dir.errors()).containsExactly(
                "endpoints/chat.yaml:8:22: endpoint 'chat' step 'rate' field 'requests': a list (expected: an integer)",
                "endpoints/chat.yaml:8:35: endpoint 'chat' step 'rate' field 'groups': value 'x' (expected: a list)",
                "endpoints/chat.yaml:9:13: endpoint 'chat' step 'limits': value '5' "
                        + "(expected: a map with keys maxBodyBytes, maxHeaderBytes, requestTimeout)",
                "endpoints/chat.yaml:10:5: endpoint 'chat' field 'pipeline[2]': a map with 2 keys "
                        + "(expected: one step as a single-key map, like '- limits: {...}')");
    }

    // --- secrets ---

    @Test
    void inlineSecretIsRejectedWithoutEchoingTheValue() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1",
                "  - auth:", "      jwksUrl: http://127.0.0.1:8090/jwks.json", "      clientSecret: hunter2"));

        assertThat(dir.errors()).containsExactly("endpoints/chat.yaml:10:21: endpoint 'chat' step 'auth' "
                + "field 'clientSecret': write a secret as env:NAME or file:PATH, not inline")
                .noneMatch(line -> line.contains("hunter2"));
    }

    @Test
    void envSecretIsResolvedAndRedactedInToString() {
        dir.env(Map.of("CLIENT_SECRET", "s3cret-value"));
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1",
                "  - auth:", "      jwksUrl: http://127.0.0.1:8090/jwks.json", "      clientSecret: env:CLIENT_SECRET"));

        GatewayConfig config = dir.load().orThrow();
        AuthConfig auth = config.endpoints().get(0).pipeline().get(0).config(AuthConfig.class);

        assertThat(auth.clientSecret().reveal()).isEqualTo("s3cret-value");
        assertThat(auth.clientSecret().reference()).isEqualTo("env:CLIENT_SECRET");
        assertThat(auth.toString()).contains("Secret[env:CLIENT_SECRET, redacted]").doesNotContain("s3cret-value");
        assertThat(config.toString()).doesNotContain("s3cret-value");
    }

    @Test
    void fileSecretIsReadRelativeToTheConfigDirectoryWithoutItsTrailingNewline() {
        dir.write("secrets/client", "s3cret-value\n");
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1",
                "  - auth: {jwksUrl: http://x/jwks, clientSecret: 'file:secrets/client'}"));

        AuthConfig auth = dir.load().orThrow().endpoints().get(0).pipeline().get(0).config(AuthConfig.class);

        assertThat(auth.clientSecret().reveal()).isEqualTo("s3cret-value");
    }

    @Test
    void unsetEnvSecretAndUnreadableFileSecretNameTheReference() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1",
                "  - auth:", "      jwksUrl: http://127.0.0.1:8090/jwks.json", "      clientSecret: env:MISSING",
                "  - auth:", "      jwksUrl: http://127.0.0.1:8090/jwks.json", "      clientSecret: file:secrets/none"));

        assertThat(dir.errors()).containsExactly(
                "endpoints/chat.yaml:10:21: endpoint 'chat' step 'auth' field 'clientSecret': "
                        + "secret env:MISSING is not set in the environment",
                "endpoints/chat.yaml:13:21: endpoint 'chat' step 'auth' field 'clientSecret': "
                        + "secret file:secrets/none cannot be read (no such file)");
    }

    // --- endpoint fields and cross-checks ---

    @Test
    void twoEndpointsOnOneListenerAndPathAreAnError() {
        dir.write("endpoints/a.yaml", ConfigDir.endpoint("a", "/v1"));
        dir.write("endpoints/b.yml", ConfigDir.endpoint("b", "/v1"));

        assertThat(dir.errors()).containsExactly("endpoints/b.yml:2:7: endpoint 'b' field 'path': "
                + "endpoints 'a' (endpoints/a.yaml) and 'b' (endpoints/b.yml) both serve path '/v1' on listener 'http'");
    }

    @Test
    void unknownAgentIsAnErrorListingTheKnownAgents() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1").replace("agent: local", "agent: remote"));

        assertThat(dir.errors()).containsExactly("endpoints/chat.yaml:5:10: endpoint 'chat' field 'target.agent': "
                + "unknown agent 'remote' (known agents: local)");
    }

    @Test
    void unknownListenerIsAnErrorListingTheKnownListeners() {
        dir.write("endpoints/chat.yaml", "listener: grpc\n" + ConfigDir.endpoint("chat", "/v1"));

        assertThat(dir.errors()).containsExactly("endpoints/chat.yaml:1:11: endpoint 'chat' field 'listener': "
                + "unknown listener 'grpc' (known listeners: http)");
    }

    @Test
    void theDefaultListenerMustExistToo() {
        dir.write("gateway.yaml", ConfigDir.GATEWAY.replace("http:", "public:"));
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));

        assertThat(dir.errors()).containsExactly("endpoints/chat.yaml:1:1: endpoint 'chat' field 'listener': "
                + "unknown listener 'http' (known listeners: public)");
    }

    @Test
    void duplicateEndpointIdIsAnErrorNamingTheFirstFile() {
        dir.write("endpoints/a.yaml", ConfigDir.endpoint("chat", "/a"));
        dir.write("endpoints/b.yaml", ConfigDir.endpoint("chat", "/b"));

        assertThat(dir.errors()).containsExactly("endpoints/b.yaml:1:5: endpoint 'chat' field 'id': "
                + "id 'chat' is already used by endpoints/a.yaml");
    }

    @Test
    void endpointIdPathAndProtocolAreValidated() {
        dir.write("endpoints/a.yaml", ConfigDir.endpoint("Chat_1", "/v1"));
        dir.write("endpoints/b.yaml", ConfigDir.endpoint("b", "/v1/"));
        dir.write("endpoints/c.yaml", ConfigDir.endpoint("c", "/v1").replace("openai", "grpc"));
        dir.write("endpoints/d.yaml", ConfigDir.endpoint("d", "/d").replace("  service: demo-model\n", ""));

        assertThat(dir.errors()).containsExactly(
                "endpoints/a.yaml:1:5: endpoint 'Chat_1' field 'id': value 'Chat_1' (expected: lower-case letters, "
                        + "digits and '-', starting with a letter or digit, at most 63 characters)",
                "endpoints/b.yaml:2:7: endpoint 'b' field 'path': value '/v1/' "
                        + "(expected: a path prefix like /v1: starts with '/', no trailing '/', no query)",
                "endpoints/c.yaml:3:11: endpoint 'c' field 'protocol': value 'grpc' (expected: openai|ollama|kserve-v2|raw)",
                "endpoints/d.yaml:5:3: endpoint 'd' field 'target.service': is required");
    }

    @Test
    void unknownKeyInAnEndpointListsTheAcceptedKeys() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1") + "timeout: 5s\n");

        assertThat(dir.errors()).containsExactly("endpoints/chat.yaml:7:1: endpoint 'chat': unknown key 'timeout' "
                + "(accepted: id, listener, path, models, serverCalls, protocol, target, pipeline)");
    }

    @Test
    void yamlSyntaxErrorIsReportedWithItsPosition() {
        dir.write("endpoints/chat.yaml", "id: chat\npath: /v1\n  protocol: openai\n");

        assertThat(dir.errors()).containsExactly(
                "endpoints/chat.yaml:3:11: invalid YAML: mapping values are not allowed here");
    }

    @Test
    void anEmptyEndpointFileIsAnError() {
        dir.write("endpoints/chat.yaml", "# nothing yet\n");

        assertThat(dir.errors()).containsExactly("endpoints/chat.yaml:1:1: the file is empty "
                + "(expected: a map with keys id, listener, path, models, serverCalls, protocol, target, pipeline)");
    }

    @Test
    void noEndpointFilesIsAnError() {
        dir.write("endpoints/README.md", "not an endpoint");

        assertThat(dir.errors()).containsExactly(
                "endpoints: no endpoint files: write one endpoint per file, as endpoints/<id>.yaml");
    }

    // --- gateway.yaml ---

    @Test
    void missingGatewayYamlIsAnErrorNamingTheDirectory() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1")).delete("gateway.yaml");

        assertThat(dir.errors()).containsExactly("gateway.yaml: file not found in " + temp.toAbsolutePath().normalize());
    }

    @Test
    void aMissingConfigDirectoryIsOneError() {
        Path missing = temp.resolve("nope");

        assertThat(new ConfigLoader(Map.of(), name -> null).load(missing).formattedErrors())
                .containsExactly(missing + ": config directory not found");
    }

    @Test
    void badListenerFieldIsNamedByListener() {
        dir.write("gateway.yaml", ConfigDir.GATEWAY.replace("port: 8080", "port: eighty"));
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));

        assertThat(dir.errors()).containsExactly(
                "gateway.yaml:3:11: listener 'http' field 'port': value 'eighty' (expected: an integer)");
    }

    @Test
    void listenerLimitsAndAgentAddressAreValidated() {
        dir.write("gateway.yaml", """
                listeners:
                  http:
                    port: 70000
                    maxBodyBytes: 0
                agents:
                  local:
                    address: 7443
                  other: {}
                admin:
                  prot: 1
                """);
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));

        assertThat(dir.errors()).containsExactly(
                "gateway.yaml:3:11: listener 'http' field 'port': must be between 0 and 65535 (0 picks a free port), got 70000",
                "gateway.yaml:7:14: agent 'local' field 'address': value '7443' (expected: host:port, like 127.0.0.1:7443)",
                "gateway.yaml:8:10: agent 'other' field 'address': is required (a listening agent's host:port, like"
                        + " 127.0.0.1:7443), or identities: [...] of agents that dial in",
                "gateway.yaml:10:3: field 'admin': unknown key 'prot' (accepted: host, port, auth, auditors, console, replayers)");
    }

    @Test
    void theConsoleNeedsAnIssuerAndRefusesAnEmptySession() throws Exception {
        dir.write("gateway.yaml", ConfigDir.GATEWAY + "admin:\n  console:\n    clientId: gatehouse-console\n");
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));
        java.util.List<String> noIssuer = dir.errors();
        dir.write("gateway.yaml", ConfigDir.GATEWAY + "admin:\n  console:\n    issuer: http://127.0.0.1:8090\n"
                + "    sessionTtl: 0s\n");
        java.util.List<String> noSession = dir.errors();

        assertThat(noIssuer).containsExactly("gateway.yaml:9:5: field 'admin.console.issuer': is required: the OIDC"
                + " issuer console users sign in with, e.g. http://127.0.0.1:8180/realms/gatehouse");
        assertThat(noSession).containsExactly("gateway.yaml:10:17: field 'admin.console.sessionTtl': must be"
                + " positive, like 8h");
    }

    @Test
    void theConsolesLiveFeedsHaveACapThatMayBeZeroButNotNegative() throws Exception {
        dir.write("gateway.yaml", ConfigDir.GATEWAY + "admin:\n  console:\n    issuer: http://127.0.0.1:8090\n"
                + "    maxEventStreams: -1\n");
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));
        java.util.List<String> negative = dir.errors();

        assertThat(negative).containsExactly("gateway.yaml:10:22: field 'admin.console.maxEventStreams': must be 0"
                + " (no live feed: pages poll) or more, got -1");
        assertThat(new ConsoleConfig(java.net.URI.create("http://127.0.0.1:8090"), null, null, null, 1, null, null)
                .maxEventStreams()).isEqualTo(200);
        assertThat(new ConsoleConfig(java.net.URI.create("http://127.0.0.1:8090"), null, null, null, 1, null, null, 0)
                .maxEventStreams()).isZero();
    }

    @Test
    void aGatewayNeedsAListenerAndAnAgent() {
        dir.write("gateway.yaml", "admin: {port: 9000}\n");
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));

        assertThat(dir.errors()).containsExactly("gateway.yaml:1:1: field 'listeners': "
                + "at least one listener is required, e.g. listeners: {http: {port: 8080}}");
    }

    @Test
    void aListenerPortSharedWithTheAdminPortIsAnError() {
        dir.write("gateway.yaml", ConfigDir.GATEWAY.replace("port: 8080", "port: 8081"));
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));

        assertThat(dir.errors()).containsExactly(
                "gateway.yaml:3:11: listener 'http' field 'port': port 8081 is also the admin port");
    }

    @Test
    void portZeroNeverCollidesAndAnIpv6AgentAddressIsBracketed() {
        dir.write("gateway.yaml", """
                listeners:
                  http: {port: 0}
                  grpc: {port: 0}
                admin: {port: 0}
                agents:
                  local: {address: '[::1]:7443'}
                """);
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));

        GatewayConfig config = dir.load().orThrow();

        assertThat(config.listeners().values()).extracting(ListenerConfig::port).containsExactly(0, 0);
        assertThat(config.agents().get("local")).isEqualTo(new AgentConnectionConfig("local", "::1", 7443, null));
    }

    // --- policies and many errors at once ---

    @Test
    void anyPolicyFileIsAnErrorUntilThePolicyProcessorExists() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));
        dir.write("policies/x.yaml", "anything: at all\n");

        assertThat(dir.errors()).containsExactly(
                "policies/x.yaml:1:1: policy files need the 'policy' processor, which this gateway does not have");
    }

    @Test
    void severalErrorsInSeveralFilesAreAllReportedSortedByFileThenLine() {
        dir.write("gateway.yaml", ConfigDir.GATEWAY.replace("port: 8080", "port: eighty"));
        dir.write("endpoints/b.yaml", ConfigDir.endpoint("b", "/b", "  - limits: {requestTimeout: soon}")
                .replace("agent: local", "agent: remote"));
        dir.write("endpoints/a.yaml", ConfigDir.endpoint("a", "/a", "  - limit: {}", "  - rate: {requests: x}"));
        dir.write("policies/p.yaml", "x: 1\n");

        assertThat(dir.errors()).containsExactly(
                "endpoints/a.yaml:8:5: endpoint 'a': unknown step 'limit' (known steps: auth, header-stamp, limits, rate)",
                "endpoints/a.yaml:9:22: endpoint 'a' step 'rate' field 'requests': value 'x' (expected: an integer)",
                "endpoints/b.yaml:5:10: endpoint 'b' field 'target.agent': unknown agent 'remote' (known agents: local)",
                "endpoints/b.yaml:8:30: endpoint 'b' step 'limits' field 'requestTimeout': "
                        + "value 'soon' (expected: a duration like 30s, 5m, 250ms)",
                "gateway.yaml:3:11: listener 'http' field 'port': value 'eighty' (expected: an integer)",
                "policies/p.yaml:1:1: policy files need the 'policy' processor, which this gateway does not have");
    }

    @Test
    void anInvalidResultThrowsListingEveryError() {
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1", "  - limit: {}"));

        LoadResult<GatewayConfig> result = dir.load();

        assertThat(result.isValid()).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(result::orThrow)
                .isInstanceOf(InvalidConfigException.class)
                .hasMessage("invalid config (1 error):\nendpoints/chat.yaml:8:5: endpoint 'chat': "
                        + "unknown step 'limit' (known steps: auth, header-stamp, limits, rate)");
        assertThat(Optional.of(result.errors().get(0))).map(ConfigError::where).contains("endpoint 'chat'");
    }
}
