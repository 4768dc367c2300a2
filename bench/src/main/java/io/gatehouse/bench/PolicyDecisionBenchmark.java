package io.gatehouse.bench;

import io.gatehouse.processors.policy.AppliesTo;
import io.gatehouse.processors.policy.Decision;
import io.gatehouse.processors.policy.Effect;
import io.gatehouse.processors.policy.PolicyFile;
import io.gatehouse.processors.policy.PolicySet;
import io.gatehouse.processors.policy.RequestFacts;
import io.gatehouse.processors.policy.RuleConfig;
import io.gatehouse.processors.policy.RuleLimits;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * One policy decision ({@link PolicySet#decide}) with 10, 1,000 and 10,000 rules, compiled at setup as
 * the gateway compiles {@code policies/} at load.
 *
 * <ul>
 *   <li>{@code spread}: ten rules per policy, one policy per group (so 1, 100 and 1,000 groups); the
 *       caller is in two groups; a third of the rules carry a CEL condition; the allowing rule has one.</li>
 *   <li>{@code oneGroup}: every rule in one policy for the caller's group, all on the same endpoint and
 *       operation, each for its own model; the allowing rule is the last one.</li>
 *   <li>{@code prefixes}: as {@code oneGroup}, but every rule names its model with a prefix pattern
 *       ({@code model-N-*}), indexed by prefix.</li>
 *   <li>{@code regexes}: as {@code oneGroup}, but every pattern has a wildcard in the middle
 *       ({@code model-N-*-v?}), which no index can use: every rule is looked at (the worst case).</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PolicyDecisionBenchmark {

    @Param({"10", "1000", "10000"})
    public int rules;

    @Param({"spread", "oneGroup", "prefixes", "regexes"})
    public String shape;

    private PolicySet policies;
    private Identity caller;
    private RequestFacts request;

    @Setup
    public void setUp() {
        List<PolicyFile> files = new ArrayList<>();
        String model;
        switch (shape) {
            case "spread" -> {
                int groups = Math.max(1, rules / 10);
                for (int g = 0; g < groups; g++) {
                    List<RuleConfig> list = new ArrayList<>();
                    for (int r = 0; r < 10; r++) {
                        int n = g * 10 + r;
                        list.add(rule("r" + r, "ep-" + (n % 5), "model-" + n, n % 3 == 0 ? "operation.batch <= 8" : null));
                    }
                    files.add(new PolicyFile("team-" + g, null, new AppliesTo(Set.of("team-" + g), null, null, null),
                            list));
                }
                int first = (groups / 2) * 10;
                int target = first + (3 - first % 3) % 3; // a rule with a condition, in the caller's second group
                caller = identity(new java.util.HashSet<>(List.of("team-0", "team-" + (groups / 2))));
                model = "model-" + target;
                request = facts("ep-" + (target % 5), model);
            }
            case "oneGroup", "prefixes", "regexes" -> {
                String suffix = switch (shape) {
                    case "prefixes" -> "-*";
                    case "regexes" -> "-*-v?";
                    default -> "";
                };
                List<RuleConfig> list = new ArrayList<>();
                for (int n = 0; n < rules; n++) {
                    list.add(rule("r" + n, "openai", "model-" + n + suffix, null));
                }
                files.add(new PolicyFile("everyone", null, new AppliesTo(Set.of("analysts"), null, null, null), list));
                caller = identity(Set.of("analysts"));
                model = "model-" + (rules - 1) + (suffix.isEmpty() ? "" : "-large-v2");
                request = facts("openai", model);
            }
            default -> throw new IllegalArgumentException(shape);
        }
        policies = PolicySet.of(files);
        Decision d = policies.decide(caller, request);
        if (d.verdict() != Decision.Verdict.ALLOW) {
            throw new IllegalStateException("the benchmark request should be allowed, got " + d);
        }
    }

    @Benchmark
    public Decision decide() {
        return policies.decide(caller, request);
    }

    private static RuleConfig rule(String name, String endpoint, String model, String when) {
        return new RuleConfig(name, null, Effect.ALLOW, List.of(endpoint), List.of(model), Set.of(OperationKind.CHAT),
                null, null, when, new RuleLimits(null, 8, 1024, null, null), null, null, null, null, null);
    }

    private static Identity identity(Set<String> groups) {
        Instant now = Instant.now();
        return new Identity("alice-id", "alice", "https://idp.example", null, groups, Set.of(), null, List.of(), now,
                null, now.plusSeconds(3600), null, Map.of());
    }

    private static RequestFacts facts(String endpoint, String model) {
        return new RequestFacts(endpoint, "POST", "/v1/chat/completions", "", Map.of("content-type", "application/json"),
                180, "127.0.0.1", new Operation("openai", OperationKind.CHAT, model, false, 2, OptionalInt.of(256)),
                Instant.now());
    }
}
