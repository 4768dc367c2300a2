package io.gatehouse.cli.policy;

import io.gatehouse.config.EndpointConfig;
import io.gatehouse.config.StepConfig;
import io.gatehouse.engine.InboundRequest;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.engine.Step;
import io.gatehouse.engine.StepCalls;
import io.gatehouse.engine.StepResult;
import io.gatehouse.gateway.GatewayAssembly;
import io.gatehouse.gateway.protocol.MalformedRequestException;
import io.gatehouse.gateway.protocol.ProtocolAdapters;
import io.gatehouse.spi.ApprovalRequirement;
import io.gatehouse.spi.AttributeKey;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.GatewayServices;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.ProcessorFactory;
import io.gatehouse.spi.StandardAttributes;
import java.time.Clock;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A dry run of the policy decision for one caller and one request on one endpoint, without a running
 * gateway: the request goes through the endpoint's protocol adapter and its real {@code policy} step on
 * the pipeline engine the gateway runs ({@link StepCalls}), with rate budgets untouched. {@code policy
 * explain} prints what it finds; {@code policy test} compares it with expectations. One policy processor
 * is created per endpoint and reused, as the gateway does.
 */
public final class PolicyDryRun implements AutoCloseable {

    /** Asks the policy step for its trail; no rate budget is taken (see the policy step). */
    static final AttributeKey<Boolean> EXPLAIN = AttributeKey.of("policy.explain", Boolean.class);
    static final AttributeKey<String> TRAIL = AttributeKey.of("policy.trail", String.class);
    static final AttributeKey<String> HIDDEN_FIELDS = AttributeKey.of("policy.hidden-fields", String.class);
    static final AttributeKey<DecidingRule> DECISION = AttributeKey.of("policy.decision", DecidingRule.class);

    /** What the gateway's own steps make of a request. */
    public enum Verdict {
        ALLOW, DENY, REQUIRE_APPROVAL;

        public String configName() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * @param verdict       allow, deny (a policy rule, a malformed body) or require-approval
     * @param status        the status the gateway answers: the denial's (403, 400 …), 202 for a request the
     *                      endpoint's approval step holds (403 when it has none: a required approval is
     *                      never allowed), 200 for a request forwarded to the model
     * @param title         the problem title of a denial, else null
     * @param rule          the deciding rule; null for a malformed request
     * @param reason        why (the rule's reason, or what is malformed)
     * @param approval      the approval the policy asks for, when it asks for one
     * @param hiddenFields  the JSON Pointers the allowing rule removes from the answer
     * @param operation     what the protocol adapter understood (or what the case gave)
     * @param forwardedBody the body as the model would get it, when the policy rewrote it; else null
     * @param trail         every rule considered, one per line
     */
    public record Result(Verdict verdict, int status, String title, DecidingRule rule, String reason,
                         ApprovalRequirement approval, List<String> hiddenFields, Operation operation,
                         byte[] forwardedBody, String trail) {
    }

    private final GatewayAssembly.Loaded loaded;
    private final Map<String, GatewayProcessor> processors = new HashMap<>();

    public PolicyDryRun(GatewayAssembly.Loaded loaded) {
        this.loaded = loaded;
    }

    /** The endpoint named, else the one whose path prefix serves {@code path} (the longest). */
    public Optional<EndpointConfig> endpoint(String endpointId, String path) {
        if (endpointId != null) {
            return loaded.config().endpoint(endpointId);
        }
        return loaded.config().endpoints().stream()
                .filter(e -> e.path() != null && serves(e.path(), path))
                .max(Comparator.comparingInt(e -> e.path().length()));
    }

    /** True when the endpoint has a policy step (else policies do not apply to it). */
    public static boolean hasPolicyStep(EndpointConfig ep) {
        return ep.pipeline().stream().anyMatch(s -> s.id().equals("policy"));
    }

    /**
     * Decides one request.
     *
     * @param operation what the request asks for, or null to let the endpoint's protocol adapter parse it
     * @throws IllegalStateException when the endpoint has no policy step or the step broke its contract
     */
    public Result decide(EndpointConfig ep, Identity identity, InboundRequest request, Operation operation)
            throws Exception {
        if (operation == null) {
            try {
                operation = ProtocolAdapters.forName(ep.protocol()).orElseThrow().parse(request);
            } catch (MalformedRequestException e) {
                return new Result(Verdict.DENY, 400, "Malformed request", null, e.getMessage(), null, List.of(),
                        null, null, "");
            }
        }
        StepConfig step = ep.pipeline().stream().filter(s -> s.id().equals("policy")).findFirst()
                .orElseThrow(() -> new IllegalStateException("endpoint '" + ep.id() + "' has no policy step, so "
                        + "policies do not apply to it"));
        @SuppressWarnings({"unchecked", "rawtypes"})
        ProcessorFactory<Record> factory = (ProcessorFactory) loaded.registry().find("policy").orElseThrow();
        GatewayProcessor processor = processors.computeIfAbsent(ep.id(), id -> factory.create(step.config(),
                new EndpointContext(ep.id(), ep.protocol(), step.nodeId(), ep.path(), Clock.systemUTC(),
                        GatewayServices.none())));
        byte[] before = request.body().clone();
        // The same engine as the gateway runs the step, on an exchange whose caller is given.
        PipelineExchange exchange = PipelineExchange.builder("dry-run", ep.id(), request, operation)
                .identity(identity).build();
        exchange.attributes().put(EXPLAIN, Boolean.TRUE);
        StepResult result = StepCalls.request(exchange, new Step(step.id(), step.nodeId(), ep.id(),
                factory.phase(), processor)).toCompletableFuture().get(30, TimeUnit.SECONDS);
        if (result instanceof StepResult.Broken broken) {
            throw new IllegalStateException("the policy step failed: " + broken.message());
        }
        String trail = exchange.attributes().get(TRAIL).orElse("");
        if (result instanceof StepResult.Denied denied) {
            Outcome.Deny deny = denied.denial();
            return new Result(Verdict.DENY, deny.status(), deny.title(), deny.rule(),
                    deny.rule() == null ? deny.detail() : deny.rule().reason(), null, List.of(), operation, null,
                    trail);
        }
        byte[] forwarded = Arrays.equals(before, request.body()) ? null : request.body();
        List<String> hidden = exchange.attributes().get(HIDDEN_FIELDS).map(h -> h.isEmpty() ? List.<String>of()
                : List.of(h.split("\n"))).orElse(List.of());
        Optional<ApprovalRequirement> approval = exchange.attributes().get(StandardAttributes.APPROVAL_REQUIRED);
        if (approval.isPresent()) {
            boolean held = ep.pipeline().stream().anyMatch(s -> s.id().equals("approval"));
            DecidingRule rule = approval.get().rule();
            return new Result(Verdict.REQUIRE_APPROVAL, held ? 202 : 403, held ? "Approval required" : "Approval "
                    + "required (no approval step)", rule, rule.reason(), approval.get(), hidden, operation,
                    forwarded, trail);
        }
        DecidingRule rule = exchange.attributes().get(DECISION).orElse(null);
        return new Result(Verdict.ALLOW, 200, null, rule, rule == null ? "" : rule.reason(), null, hidden,
                operation, forwarded, trail);
    }

    private static boolean serves(String prefix, String path) {
        return "/".equals(prefix) || path.equals(prefix) || path.startsWith(prefix + "/");
    }

    @Override
    public void close() {
        processors.values().forEach(GatewayProcessor::close);
        processors.clear();
    }
}
