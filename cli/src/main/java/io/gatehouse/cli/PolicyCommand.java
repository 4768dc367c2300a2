package io.gatehouse.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.cli.policy.CallerClaims;
import io.gatehouse.cli.policy.JUnitReport;
import io.gatehouse.cli.policy.PolicyDryRun;
import io.gatehouse.cli.policy.PolicyTests;
import io.gatehouse.config.EndpointConfig;
import io.gatehouse.engine.InboundRequest;
import io.gatehouse.gateway.GatewayAssembly;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gatehouse policy explain --config DIR --claims claims.json --request req.http}: a dry run of the
 * policy decision, without a running gateway. The request goes through the endpoint's protocol adapter
 * and its real {@code policy} step (rate budgets untouched), and the decision is printed with the trail
 * of every rule considered. {@code gatehouse policy test DIR} runs the expectation files of
 * {@code DIR/policies/tests} through the same dry run and fails on any mismatch.
 */
@Command(name = "policy", description = "Work with policies.",
        subcommands = {PolicyCommand.Explain.class, PolicyCommand.Test.class})
final class PolicyCommand {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Command(name = "explain", mixinStandardHelpOptions = true,
            description = "Prints the decision of the policies for one caller and one request, and the trail of "
                    + "rules considered. Exits 0 when a decision was printed, 1 on bad input.")
    static final class Explain implements Callable<Integer> {

        @Option(names = "--config", required = true, paramLabel = "DIR", description = "the config directory")
        Path config;

        @Option(names = "--claims", required = true, paramLabel = "FILE",
                description = "the caller's token claims as JSON: sub, preferred_username, groups, roles, azp …")
        Path claims;

        @Option(names = "--request", required = true, paramLabel = "FILE",
                description = "the request as HTTP text: 'POST /v1/chat/completions', headers, a blank line, the body")
        Path request;

        @Option(names = "--endpoint", paramLabel = "ID",
                description = "the endpoint (default: the one whose path serves the request)")
        String endpoint;

        @Override
        public Integer call() {
            return explain(config, claims, request, endpoint, System.out, System.err);
        }
    }

    @Command(name = "test", mixinStandardHelpOptions = true,
            description = "Runs the policy expectations of DIR/policies/tests/*.yaml (caller, request, expected "
                    + "decision, rule, status, hidden fields, approval hold) through the gateway's own policy step. "
                    + "Exits 0 when every case passed, 1 when one failed, 2 when the files or the config have errors.")
    static final class Test implements Callable<Integer> {

        @Parameters(index = "0", paramLabel = "DIR", description = "the config directory")
        Path config;

        @Option(names = "--tests", paramLabel = "PATH",
                description = "a directory of expectation files, or one file (default: DIR/policies/tests)")
        Path tests;

        @Option(names = "--junit", paramLabel = "FILE", description = "also write a JUnit XML report to FILE")
        Path junit;

        @Option(names = {"-q", "--quiet"}, description = "print failing cases and the summary only")
        boolean quiet;

        @Override
        public Integer call() {
            return test(config, tests, junit, quiet, System.out, System.err);
        }
    }

    static int explain(Path config, Path claimsFile, Path requestFile, String endpointId, PrintStream out,
                       PrintStream err) {
        Identity identity;
        InboundRequest request;
        try {
            identity = CallerClaims.identity(JSON.readTree(Files.readAllBytes(claimsFile)));
            request = parseRequest(Files.readAllBytes(requestFile));
        } catch (IOException | IllegalArgumentException e) {
            err.println("cannot read the input: " + e.getMessage());
            return 1;
        }
        GatewayAssembly.Loaded loaded = GatewayAssembly.load(config, System::getenv);
        if (!loaded.errors().isEmpty()) {
            loaded.errors().forEach(err::println);
            return 1;
        }
        try (PolicyDryRun dryRun = new PolicyDryRun(loaded)) {
            Optional<EndpointConfig> found = dryRun.endpoint(endpointId, request.path());
            if (found.isEmpty()) {
                err.println(endpointId != null ? "no endpoint '" + endpointId + "' in " + config
                        : "no endpoint of " + config + " serves path '" + request.path() + "'");
                return 1;
            }
            EndpointConfig ep = found.get();
            out.println("endpoint: " + ep.id() + " (" + ep.path() + ", protocol " + ep.protocol() + ")");
            out.println("caller:   " + identity.username() + " (groups " + sorted(identity.groups()) + ", roles "
                    + sorted(identity.roles()) + (identity.clientId() == null ? "" : ", client "
                    + identity.clientId()) + ")");
            if (!PolicyDryRun.hasPolicyStep(ep)) {
                out.println("request:  " + request.method() + " " + request.path());
                out.println("decision: endpoint '" + ep.id() + "' has no policy step, so policies do not apply to it");
                return 0;
            }
            PolicyDryRun.Result result;
            try {
                result = dryRun.decide(ep, identity, request, null);
            } catch (Exception e) {
                err.println(e.getMessage() != null && e instanceof IllegalStateException ? e.getMessage()
                        : "the policy step failed: " + e);
                return 1;
            }
            if (result.operation() == null) {
                out.println("request:  " + request.method() + " " + request.path());
                out.println("decision: deny (400 Malformed request): " + result.reason());
                return 0;
            }
            out.println("request:  " + request.method() + " " + request.path() + " -> " + describe(result.operation()));
            switch (result.verdict()) {
                case DENY -> out.println("decision: deny (" + result.status() + " " + result.title() + "): "
                        + name(result.rule()));
                case REQUIRE_APPROVAL -> out.println("decision: require-approval: " + name(result.rule())
                        + (result.approval().approverGroups().isEmpty() ? ""
                        : " (approvers: " + sorted(result.approval().approverGroups()) + ")"));
                case ALLOW -> out.println("decision: allow: " + (result.rule() == null ? "(no rule named)"
                        : name(result.rule())));
            }
            if (result.forwardedBody() != null) {
                out.println("request body as forwarded: " + new String(result.forwardedBody(), StandardCharsets.UTF_8));
            }
            out.println("trail:");
            if (result.trail().isEmpty()) {
                out.println("  (no policy applies to this caller)");
            } else {
                result.trail().lines().forEach(line -> out.println("  " + line));
            }
            return 0;
        }
    }

    /**
     * Runs the expectation files and prints one line per case; exit 0 when every case passed, 1 when one
     * did not, 2 when the files or the config could not be read (nothing ran).
     */
    static int test(Path config, Path tests, Path junit, boolean quiet, PrintStream out, PrintStream err) {
        PolicyTests.Run run = PolicyTests.run(config, tests != null ? tests : config.resolve(PolicyTests.DIRECTORY),
                System::getenv);
        if (!run.errors().isEmpty()) {
            run.errors().forEach(err::println);
            err.println("no case ran: fix the errors above");
            return 2;
        }
        for (PolicyTests.CaseResult r : run.results()) {
            if (r.passed()) {
                if (!quiet) {
                    out.println("PASS " + r.where() + " " + r.name() + ": " + r.actual());
                }
            } else {
                out.println("FAIL " + r.where() + " " + r.name());
                r.failures().forEach(f -> out.println("       " + f));
                out.println("       decided: " + r.actual());
            }
        }
        long failed = run.failed();
        out.println(run.results().size() + " cases, " + (run.results().size() - failed) + " passed, " + failed
                + " failed");
        if (junit != null) {
            try {
                JUnitReport.write(junit, run);
            } catch (IOException e) {
                err.println(e.getMessage());
                return 2;
            }
        }
        return failed == 0 ? 0 : 1;
    }

    private static String name(DecidingRule rule) {
        return "policy '" + rule.policy() + "' rule '" + rule.rule() + "': " + rule.reason();
    }

    private static String describe(Operation op) {
        return op.kind().configName() + (op.model() == null ? "" : ", model '" + op.model() + "'") + ", batch "
                + op.batch() + (op.maxTokens().isPresent() ? ", max_tokens " + op.maxTokens().getAsInt() : "")
                + (op.stream() ? ", streamed" : "");
    }

    private static boolean serves(String prefix, String path) {
        return "/".equals(prefix) || path.equals(prefix) || path.startsWith(prefix + "/");
    }

    private static List<String> sorted(Set<String> values) {
        return values.stream().sorted().toList();
    }

    /**
     * {@code POST /v1/chat/completions HTTP/1.1}, header lines, a blank line, the body (as is, up to the
     * end of the file).
     */
    static InboundRequest parseRequest(byte[] text) {
        String all = new String(text, StandardCharsets.UTF_8);
        int headEnd = all.indexOf("\n\n");
        int crlfEnd = all.indexOf("\r\n\r\n");
        String head;
        String body;
        if (crlfEnd >= 0 && (headEnd < 0 || crlfEnd < headEnd)) {
            head = all.substring(0, crlfEnd);
            body = all.substring(crlfEnd + 4);
        } else if (headEnd >= 0) {
            head = all.substring(0, headEnd);
            body = all.substring(headEnd + 2);
        } else {
            head = all;
            body = "";
        }
        List<String> lines = new ArrayList<>(head.lines().toList());
        while (!lines.isEmpty() && lines.get(0).isBlank()) {
            lines.remove(0);
        }
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("the request file is empty (expected e.g. 'POST /v1/chat/completions')");
        }
        String[] start = lines.get(0).trim().split("\\s+");
        if (start.length < 2 || !start[0].matches("[A-Za-z]+") || !start[1].startsWith("/")) {
            throw new IllegalArgumentException("the first line must be a method and a path, e.g. 'POST /v1/chat/completions',"
                    + " got '" + lines.get(0).trim() + "'");
        }
        Headers headers = new Headers();
        for (String line : lines.subList(1, lines.size())) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("header line '" + line + "' has no name");
            }
            String name = line.substring(0, colon).trim();
            if (!name.toLowerCase(java.util.Locale.ROOT).startsWith("gatehouse-")) {
                headers.add(name, line.substring(colon + 1).trim());
            }
        }
        byte[] bytes = body.strip().getBytes(StandardCharsets.UTF_8);
        String target = start[1];
        int q = target.indexOf('?');
        return new InboundRequest(start[0].toUpperCase(java.util.Locale.ROOT), q < 0 ? target : target.substring(0, q),
                q < 0 ? "" : target.substring(q + 1), headers, new InetSocketAddress("127.0.0.1", 0), bytes);
    }

}
