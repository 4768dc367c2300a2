package io.gatehouse.cli;

import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.engine.Step;
import io.gatehouse.engine.StepCalls;
import io.gatehouse.engine.StepResult;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatehouse.config.EndpointConfig;
import io.gatehouse.config.StepConfig;
import io.gatehouse.engine.InboundRequest;
import io.gatehouse.gateway.GatewayAssembly;
import io.gatehouse.gateway.protocol.MalformedRequestException;
import io.gatehouse.gateway.protocol.ProtocolAdapter;
import io.gatehouse.gateway.protocol.ProtocolAdapters;
import io.gatehouse.spi.ApprovalRequirement;
import io.gatehouse.spi.AttributeKey;
import io.gatehouse.spi.Attributes;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.GatewayRequest;
import io.gatehouse.spi.GatewayResponse;
import io.gatehouse.spi.GatewayServices;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.ProcessorFactory;
import io.gatehouse.spi.StandardAttributes;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gatehouse policy explain --config DIR --claims claims.json --request req.http}: a dry run of the
 * policy decision, without a running gateway. The request goes through the endpoint's protocol adapter
 * and its real {@code policy} step (rate budgets untouched), and the decision is printed with the trail
 * of every rule considered.
 */
@Command(name = "policy", description = "Work with policies.", subcommands = PolicyCommand.Explain.class)
final class PolicyCommand {

    /** Asks the policy step for its trail (see the policy step's documentation). */
    static final AttributeKey<Boolean> EXPLAIN = AttributeKey.of("policy.explain", Boolean.class);
    static final AttributeKey<String> TRAIL = AttributeKey.of("policy.trail", String.class);
    static final AttributeKey<DecidingRule> DECISION = AttributeKey.of("policy.decision", DecidingRule.class);

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

    static int explain(Path config, Path claimsFile, Path requestFile, String endpointId, PrintStream out,
                       PrintStream err) {
        Identity identity;
        InboundRequest request;
        try {
            identity = identity(JSON.readTree(Files.readAllBytes(claimsFile)));
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
        Optional<EndpointConfig> found = endpointId != null ? loaded.config().endpoint(endpointId)
                : loaded.config().endpoints().stream()
                .filter(e -> serves(e.path(), request.path()))
                .max(Comparator.comparingInt(e -> e.path().length()));
        if (found.isEmpty()) {
            err.println(endpointId != null ? "no endpoint '" + endpointId + "' in " + config
                    : "no endpoint of " + config + " serves path '" + request.path() + "'");
            return 1;
        }
        EndpointConfig ep = found.get();
        out.println("endpoint: " + ep.id() + " (" + ep.path() + ", protocol " + ep.protocol() + ")");
        out.println("caller:   " + identity.username() + " (groups " + sorted(identity.groups()) + ", roles "
                + sorted(identity.roles()) + (identity.clientId() == null ? "" : ", client " + identity.clientId()) + ")");
        ProtocolAdapter adapter = ProtocolAdapters.forName(ep.protocol()).orElseThrow();
        Operation operation;
        try {
            operation = adapter.parse(request);
        } catch (MalformedRequestException e) {
            out.println("request:  " + request.method() + " " + request.path());
            out.println("decision: deny (400 Malformed request): " + e.getMessage());
            return 0;
        }
        out.println("request:  " + request.method() + " " + request.path() + " -> " + describe(operation));
        StepConfig step = ep.pipeline().stream().filter(s -> s.id().equals("policy")).findFirst().orElse(null);
        if (step == null) {
            out.println("decision: endpoint '" + ep.id() + "' has no policy step, so policies do not apply to it");
            return 0;
        }
        @SuppressWarnings({"unchecked", "rawtypes"})
        ProcessorFactory<Record> factory = (ProcessorFactory) loaded.registry().find("policy").orElseThrow();
        byte[] before = request.body();
        // The same engine as the gateway runs the step, on an exchange whose caller is given.
        PipelineExchange exchange = PipelineExchange.builder("explain", ep.id(), request, operation)
                .identity(identity).build();
        exchange.attributes().put(EXPLAIN, Boolean.TRUE);
        Outcome outcome;
        try (GatewayProcessor processor = factory.create(step.config(), new EndpointContext(ep.id(), ep.protocol(),
                step.nodeId(), ep.path(), Clock.systemUTC(), GatewayServices.none()))) {
            StepResult result = StepCalls.request(exchange, new Step(step.id(), step.nodeId(), ep.id(),
                    factory.phase(), processor)).toCompletableFuture().get(30, TimeUnit.SECONDS);
            if (result instanceof StepResult.Broken broken) {
                err.println("the policy step failed: " + broken.message());
                return 1;
            }
            outcome = result instanceof StepResult.Denied denied ? denied.denial() : Outcome.proceed();
        } catch (Exception e) {
            err.println("the policy step failed: " + e);
            return 1;
        }
        if (outcome instanceof Outcome.Deny deny) {
            out.println("decision: deny (" + deny.status() + " " + deny.title() + "): " + name(deny.rule()));
        } else {
            Optional<ApprovalRequirement> approval = exchange.attributes().get(StandardAttributes.APPROVAL_REQUIRED);
            DecidingRule rule = exchange.attributes().get(DECISION).orElse(null);
            if (approval.isPresent()) {
                out.println("decision: require-approval: " + name(approval.get().rule())
                        + (approval.get().approverGroups().isEmpty() ? ""
                        : " (approvers: " + sorted(approval.get().approverGroups()) + ")"));
            } else {
                out.println("decision: allow: " + (rule == null ? "(no rule named)" : name(rule)));
            }
            if (!Arrays.equals(before, request.body())) {
                out.println("request body as forwarded: " + new String(request.body(), StandardCharsets.UTF_8));
            }
        }
        out.println("trail:");
        String trail = exchange.attributes().get(TRAIL).orElse("");
        if (trail.isEmpty()) {
            out.println("  (no policy applies to this caller)");
        } else {
            trail.lines().forEach(line -> out.println("  " + line));
        }
        return 0;
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

    /** Claims as Keycloak writes them; groups keep their last path segment, as the auth step does by default. */
    static Identity identity(JsonNode claims) {
        if (claims == null || !claims.isObject()) {
            throw new IllegalArgumentException("the claims file must hold a JSON object");
        }
        String sub = claims.path("sub").asText(null);
        if (sub == null) {
            throw new IllegalArgumentException("the claims have no 'sub'");
        }
        Set<String> groups = new LinkedHashSet<>();
        claims.path("groups").forEach(g -> {
            String name = g.asText();
            groups.add(name.contains("/") ? name.substring(name.lastIndexOf('/') + 1) : name);
        });
        Set<String> roles = new LinkedHashSet<>();
        claims.path("roles").forEach(r -> roles.add(r.asText()));
        claims.path("realm_access").path("roles").forEach(r -> roles.add(r.asText()));
        claims.path("resource_access").forEach(client -> client.path("roles").forEach(r -> roles.add(r.asText())));
        List<String> amr = new ArrayList<>();
        claims.path("amr").forEach(a -> amr.add(a.asText()));
        String client = claims.path("azp").asText(claims.path("client_id").asText(null));
        @SuppressWarnings("unchecked")
        Map<String, Object> all = JSON.convertValue(claims, Map.class);
        return new Identity(sub, claims.path("preferred_username").asText(sub), claims.path("iss").asText(null), client,
                groups, roles, claims.path("acr").asText(null), amr, time(claims, "iat"), time(claims, "auth_time"),
                Optional.ofNullable(time(claims, "exp")).orElse(Instant.now().plusSeconds(300)),
                claims.path("sid").asText(null), all);
    }

    private static Instant time(JsonNode claims, String field) {
        JsonNode v = claims.path(field);
        return v.canConvertToLong() ? Instant.ofEpochSecond(v.asLong()) : null;
    }

    /** The exchange of a dry run: the parsed request, the caller, no response. */
}
