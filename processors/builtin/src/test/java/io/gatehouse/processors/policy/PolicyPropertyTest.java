package io.gatehouse.processors.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.processors.policy.Decision.Verdict;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.OperationKind;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Random policy sets and random requests, decided by the indexed engine and by a naive oracle written
 * here from the documented semantics: no request outside every allow rule is ever allowed, a matching
 * deny always wins, and the engine's verdict is the oracle's.
 */
class PolicyPropertyTest {

    private static final String[] ENDPOINTS = {"openai", "other"};
    private static final String[] MODELS = {"m1", "m2", "x1"};
    private static final String[] MODEL_GLOBS = {"m1", "m2", "m*", "x1", "*"};
    private static final OperationKind[] KINDS = {OperationKind.CHAT, OperationKind.EMBEDDINGS,
            OperationKind.LIST_MODELS, OperationKind.MODEL_LOAD, OperationKind.RAW};
    private static final String[] GROUPS = {"g1", "g2", "g3"};

    /** A generated rule and what the oracle needs to know about it. */
    private record Gen(String policy, Set<String> appliesTo, Effect effect, Set<String> endpoints, Set<String> models,
                       Set<OperationKind> kinds, Set<String> methods, Integer maxBatch, Integer batchAtMost) {
    }

    @Test
    void noRequestOutsideEveryAllowRuleIsEverAllowedAndTheEngineAgreesWithANaiveOracle() {
        Random random = new Random(20260304L);
        int allowed = 0;
        int denied = 0;
        int held = 0;
        for (int round = 0; round < 400; round++) {
            List<Gen> gens = new ArrayList<>();
            List<PolicyFile> files = new ArrayList<>();
            int policies = 1 + random.nextInt(4);
            for (int p = 0; p < policies; p++) {
                String name = "p" + p;
                Set<String> applies = subset(random, GROUPS, 1);
                List<RuleConfig> rules = new ArrayList<>();
                int count = 1 + random.nextInt(5);
                for (int r = 0; r < count; r++) {
                    Gen g = rule(random, name, applies);
                    gens.add(g);
                    rules.add(toConfig("r" + r, g));
                }
                files.add(new PolicyFile(name, null, new AppliesTo(applies, null, null, null), rules));
            }
            PolicySet set = PolicySet.of(files);
            for (int q = 0; q < 50; q++) {
                Identity who = random.nextInt(10) == 0 ? null
                        : Policies.caller("u" + q, subset(random, GROUPS, 0).toArray(String[]::new));
                OperationKind kind = KINDS[random.nextInt(KINDS.length)];
                String model = random.nextInt(5) == 0 ? null : MODELS[random.nextInt(MODELS.length)];
                RequestFacts facts = Policies.request(ENDPOINTS[random.nextInt(2)], random.nextBoolean() ? "GET" : "POST",
                        "/v1/x", kind, model, 1 + random.nextInt(6), null, false);

                Decision decision = set.decide(who, facts);
                Verdict expected = oracle(gens, who, facts);

                assertThat(decision.verdict()).as("round %d query %d: %s %s", round, q, who, facts).isEqualTo(expected);
                assertThat(set.explain(who, facts).verdict()).isEqualTo(expected);
                if (decision.verdict() == Verdict.ALLOW) {
                    Gen by = gens.stream().filter(g -> g.policy().equals(decision.rule().policy())).filter(g ->
                            g.effect() == Effect.ALLOW && matches(g, who, facts) && within(g, facts)).findFirst()
                            .orElse(null);
                    assertThat(by).as("an allow rule that covers the request").isNotNull();
                    allowed++;
                } else if (decision.verdict() == Verdict.DENY) {
                    denied++;
                } else {
                    held++;
                }
            }
        }
        assertThat(allowed).as("allowed").isGreaterThan(500);
        assertThat(denied).as("denied").isGreaterThan(500);
        assertThat(held).as("held").isGreaterThan(50);
    }

    private static Verdict oracle(List<Gen> gens, Identity who, RequestFacts f) {
        boolean deny = false;
        Gen approval = null;
        boolean allowWithin = false;
        boolean allowMatched = false;
        for (Gen g : gens) {
            if (!matches(g, who, f)) {
                continue;
            }
            switch (g.effect()) {
                case DENY -> deny = true;
                case REQUIRE_APPROVAL -> approval = approval == null ? g : approval;
                case ALLOW -> {
                    allowMatched = true;
                    allowWithin |= within(g, f);
                }
            }
        }
        if (deny) {
            return Verdict.DENY;
        }
        if (approval != null) {
            return within(approval, f) ? Verdict.REQUIRE_APPROVAL : Verdict.DENY;
        }
        return allowMatched && allowWithin ? Verdict.ALLOW : Verdict.DENY;
    }

    private static boolean matches(Gen g, Identity who, RequestFacts f) {
        if (who == null || g.appliesTo().stream().noneMatch(who.groups()::contains)) {
            return false;
        }
        OperationKind kind = f.operation().kind();
        if (g.endpoints() != null && !g.endpoints().contains(f.endpoint())) {
            return false;
        }
        if (g.kinds() == null ? kind == OperationKind.MODEL_LOAD : !g.kinds().contains(kind)) {
            return false;
        }
        if (g.models() != null) {
            String m = f.operation().model();
            if (m == null || g.models().stream().noneMatch(glob -> glob.equals("*") || glob.equals(m)
                    || glob.endsWith("*") && m.startsWith(glob.substring(0, glob.length() - 1)))) {
                return false;
            }
        }
        if (g.methods() != null && !g.methods().contains(f.method())) {
            return false;
        }
        return g.batchAtMost() == null || f.operation().batch() <= g.batchAtMost();
    }

    private static boolean within(Gen g, RequestFacts f) {
        return g.maxBatch() == null || f.operation().batch() <= g.maxBatch();
    }

    private static Gen rule(Random random, String policy, Set<String> applies) {
        int e = random.nextInt(20);
        Effect effect = e < 12 ? Effect.ALLOW : e < 17 ? Effect.DENY : Effect.REQUIRE_APPROVAL;
        Set<String> endpoints = random.nextInt(3) == 0 ? Set.of(ENDPOINTS[random.nextInt(2)]) : null;
        Set<String> models = random.nextInt(2) == 0 ? subset(random, MODEL_GLOBS, 1) : null;
        Set<OperationKind> kinds = null;
        if (random.nextInt(3) > 0) {
            kinds = EnumSet.noneOf(OperationKind.class);
            for (OperationKind k : KINDS) {
                if (random.nextInt(3) == 0) {
                    kinds.add(k);
                }
            }
            if (kinds.isEmpty()) {
                kinds.add(KINDS[random.nextInt(KINDS.length)]);
            }
        }
        Set<String> methods = random.nextInt(4) == 0 ? Set.of(random.nextBoolean() ? "GET" : "POST") : null;
        Integer maxBatch = effect != Effect.DENY && random.nextInt(2) == 0 ? 1 + random.nextInt(5) : null;
        Integer batchAtMost = random.nextInt(4) == 0 ? 1 + random.nextInt(5) : null;
        return new Gen(policy, applies, effect, endpoints, models, kinds, methods, maxBatch, batchAtMost);
    }

    private static RuleConfig toConfig(String name, Gen g) {
        return new RuleConfig(name, null, g.effect(), g.endpoints() == null ? null : List.copyOf(g.endpoints()),
                g.models() == null ? null : List.copyOf(g.models()), g.kinds(), g.methods(), null,
                g.batchAtMost() == null ? null : "operation.batch <= " + g.batchAtMost(),
                g.maxBatch() == null ? null : new RuleLimits(null, g.maxBatch(), null, null, null), null, null, null,
                null, null);
    }

    private static Set<String> subset(Random random, String[] values, int atLeast) {
        Set<String> out = new HashSet<>();
        for (String v : values) {
            if (random.nextBoolean()) {
                out.add(v);
            }
        }
        while (out.size() < atLeast) {
            out.add(values[random.nextInt(values.length)]);
        }
        return out;
    }
}
