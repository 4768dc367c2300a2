package io.gatehouse.cli.policy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.config.ConfigError;
import io.gatehouse.config.EndpointConfig;
import io.gatehouse.config.LoadResult;
import io.gatehouse.config.YamlFiles;
import io.gatehouse.engine.InboundRequest;
import io.gatehouse.gateway.GatewayAssembly;
import io.gatehouse.spi.ConfigFile;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Runs the expectation files of a config directory ({@code policies/tests/*.yaml}) against its policies
 * through {@link PolicyDryRun}, the gateway's own policy step on its own engine. Each case gives one
 * {@link CaseResult}; nothing is forwarded and no rate budget is taken.
 */
public final class PolicyTests {

    /** Where a config directory keeps its expectations. */
    public static final String DIRECTORY = "policies/tests";

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param file     relative to the config directory, e.g. {@code policies/tests/analysts.yaml}
     * @param line     the line of the case in its file
     * @param name     the case's name
     * @param actual   what was decided, in one line
     * @param failures what differs from the expectation, one line each; empty when the case passed
     * @param nanos    how long the decision took
     */
    public record CaseResult(String file, int line, String name, String actual, List<String> failures, long nanos) {
        public boolean passed() {
            return failures.isEmpty();
        }

        /** {@code policies/tests/analysts.yaml:12}. */
        public String where() {
            return file + ":" + line;
        }
    }

    /** The outcome of a run: every case's result, or the errors that kept the cases from running. */
    public record Run(List<CaseResult> results, List<String> errors) {
        public long failed() {
            return results.stream().filter(r -> !r.passed()).count();
        }
    }

    private PolicyTests() {
    }

    /**
     * Runs every case of {@code tests} (a directory of YAML files, or one file) against the config
     * directory {@code config}.
     */
    public static Run run(Path config, Path tests, Function<String, String> env) {
        List<String> errors = new ArrayList<>();
        List<Path> files = files(tests, errors);
        if (!errors.isEmpty()) {
            return new Run(List.of(), errors);
        }
        if (files.isEmpty()) {
            return new Run(List.of(), List.of("no test files (*.yaml) in " + tests));
        }
        List<ConfigFile<PolicyTestFile>> bound = new ArrayList<>();
        for (Path f : files) {
            LoadResult<ConfigFile<PolicyTestFile>> result = YamlFiles.bindLocated(f, display(config, f),
                    PolicyTestFile.class, env);
            if (result.isValid()) {
                bound.add(result.orThrow());
            } else {
                result.errors().stream().sorted(ConfigError.ORDER).map(ConfigError::format).forEach(errors::add);
            }
        }
        GatewayAssembly.Loaded loaded = GatewayAssembly.load(config, env);
        errors.addAll(loaded.errors());
        if (!errors.isEmpty()) {
            return new Run(List.of(), errors);
        }
        List<CaseResult> results = new ArrayList<>();
        try (PolicyDryRun dryRun = new PolicyDryRun(loaded)) {
            for (ConfigFile<PolicyTestFile> file : bound) {
                List<PolicyTestCase> cases = file.value().cases();
                for (int i = 0; i < cases.size(); i++) {
                    int line = file.locator().locate("cases[" + i + "]")[0];
                    results.add(runCase(dryRun, file.path(), line, file.value(), cases.get(i)));
                }
            }
        }
        return new Run(results, List.of());
    }

    private static CaseResult runCase(PolicyDryRun dryRun, String file, int line, PolicyTestFile in,
                                      PolicyTestCase c) {
        long start = System.nanoTime();
        TestCaller caller = c.caller() != null ? c.caller() : in.caller();
        if (caller == null) {
            return failed(file, line, c, "the case names no caller and its file has none (caller: {user: …})", start);
        }
        Identity identity;
        InboundRequest request;
        try {
            identity = CallerClaims.identity(CallerClaims.claims(caller));
            request = request(c.request());
        } catch (IllegalArgumentException | IOException e) {
            return failed(file, line, c, e.getMessage(), start);
        }
        String endpointId = c.request().endpoint() != null ? c.request().endpoint() : in.endpoint();
        EndpointConfig ep = dryRun.endpoint(endpointId, request.path()).orElse(null);
        if (ep == null) {
            return failed(file, line, c, endpointId != null ? "no endpoint '" + endpointId + "' in the config"
                    : "no endpoint serves path '" + request.path() + "' (name one with request.endpoint)", start);
        }
        if (!PolicyDryRun.hasPolicyStep(ep)) {
            return failed(file, line, c, "endpoint '" + ep.id() + "' has no policy step, so policies do not apply",
                    start);
        }
        PolicyDryRun.Result result;
        try {
            result = dryRun.decide(ep, identity, request, operation(ep, c.request().operation()));
        } catch (Exception e) {
            return failed(file, line, c, "the policy step failed: " + e, start);
        }
        return new CaseResult(file, line, c.name(), describe(result), compare(c.expect(), result),
                System.nanoTime() - start);
    }

    /** What differs between expectation and result, one line each. */
    static List<String> compare(Expectation want, PolicyDryRun.Result got) {
        List<String> failures = new ArrayList<>();
        if (want.decision() != got.verdict()) {
            failures.add("decision: expected " + want.decision().configName() + ", got " + got.verdict().configName());
        }
        String rule = got.rule() == null ? "(none)" : got.rule().policy() + "/" + got.rule().rule();
        if (want.rule() != null && !want.rule().equals(rule)) {
            failures.add("rule: expected " + want.rule() + ", got " + rule);
        }
        if (want.status() != null && want.status() != got.status()) {
            failures.add("status: expected " + want.status() + ", got " + got.status());
        }
        if (want.reason() != null && (got.reason() == null || !got.reason().contains(want.reason()))) {
            failures.add("reason: expected it to contain '" + want.reason() + "', got '" + got.reason() + "'");
        }
        if (want.hiddenFields() != null && !new HashSet<>(want.hiddenFields()).equals(new HashSet<>(got.hiddenFields()))) {
            failures.add("hiddenFields: expected " + want.hiddenFields() + ", got " + got.hiddenFields());
        }
        if (want.approval() != null && got.approval() != null) {
            if (want.approval().approvers() != null
                    && !want.approval().approvers().equals(got.approval().approverGroups())) {
                failures.add("approval.approvers: expected " + sorted(want.approval().approvers()) + ", got "
                        + sorted(got.approval().approverGroups()));
            }
            if (want.approval().ttl() != null && !want.approval().ttl().equals(got.approval().ttl())) {
                failures.add("approval.ttl: expected " + want.approval().ttl() + ", got "
                        + (got.approval().ttl() == null ? "the approval step's default" : got.approval().ttl()));
            }
        }
        return failures;
    }

    /** {@code deny 403 analysts/embed-small: batch 16 > 8}. */
    static String describe(PolicyDryRun.Result r) {
        StringBuilder b = new StringBuilder(r.verdict().configName()).append(' ').append(r.status());
        b.append(' ').append(r.rule() == null ? "(no rule)" : r.rule().policy() + "/" + r.rule().rule());
        if (r.reason() != null && !r.reason().isEmpty()) {
            b.append(": ").append(r.reason());
        }
        if (!r.hiddenFields().isEmpty()) {
            b.append(" (hides ").append(String.join(", ", r.hiddenFields())).append(')');
        }
        if (r.approval() != null && !r.approval().approverGroups().isEmpty()) {
            b.append(" (approvers ").append(sorted(r.approval().approverGroups())).append(')');
        }
        return b.toString();
    }

    private static List<String> sorted(java.util.Set<String> values) {
        return values.stream().sorted().toList();
    }

    private static CaseResult failed(String file, int line, PolicyTestCase c, String why, long start) {
        return new CaseResult(file, line, c.name(), "not decided", List.of(why), System.nanoTime() - start);
    }

    private static InboundRequest request(TestRequest r) throws IOException {
        Object body = YamlFiles.plain(r.body());
        byte[] bytes;
        Headers headers = new Headers();
        r.headers().forEach((name, value) -> {
            if (!name.toLowerCase(Locale.ROOT).startsWith("gatehouse-")) {
                headers.add(name, value);
            }
        });
        if (body == null) {
            bytes = new byte[0];
        } else if (body instanceof String text) {
            bytes = text.getBytes(StandardCharsets.UTF_8);
        } else {
            bytes = JSON.writeValueAsBytes(body);
            if (headers.first("Content-Type").isEmpty()) {
                headers.add("Content-Type", "application/json");
            }
        }
        String method = r.method() != null ? r.method().toUpperCase(Locale.ROOT) : bytes.length > 0 ? "POST" : "GET";
        String target = r.path() != null ? r.path() : "/";
        int q = target.indexOf('?');
        return new InboundRequest(method, q < 0 ? target : target.substring(0, q), q < 0 ? "" : target.substring(q + 1),
                headers, new InetSocketAddress("127.0.0.1", 0), bytes);
    }

    private static Operation operation(EndpointConfig ep, TestOperation op) {
        if (op == null) {
            return null;
        }
        return new Operation(ep.protocol(), op.kind(), op.model(), Boolean.TRUE.equals(op.stream()),
                op.batch() == null ? 1 : op.batch(),
                op.maxTokens() == null ? OptionalInt.empty() : OptionalInt.of(op.maxTokens()));
    }

    private static List<Path> files(Path tests, List<String> errors) {
        if (Files.isRegularFile(tests)) {
            return List.of(tests);
        }
        if (!Files.isDirectory(tests)) {
            errors.add("no test directory " + tests + " (expectations live in <config>/" + DIRECTORY + "/*.yaml)");
            return List.of();
        }
        try (Stream<Path> list = Files.list(tests)) {
            return list.filter(Files::isRegularFile).filter(f -> {
                String n = f.getFileName().toString();
                return !n.startsWith(".") && (n.endsWith(".yaml") || n.endsWith(".yml"));
            }).sorted().toList();
        } catch (IOException e) {
            errors.add("cannot list " + tests + " (" + e + ")");
            return List.of();
        }
    }

    /** A test file's name relative to the config directory when it lies inside, else as given. */
    private static String display(Path config, Path file) {
        Path c = config.toAbsolutePath().normalize();
        Path f = file.toAbsolutePath().normalize();
        return (f.startsWith(c) ? c.relativize(f) : file).toString().replace('\\', '/');
    }
}
