package io.gatehouse.processors.policy;

import io.gatehouse.processors.policy.Decision.Verdict;
import io.gatehouse.spi.ConfigFile;
import io.gatehouse.spi.ConfigFileException;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.Glob;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Every policy of a config load, compiled: CEL checked and planned, globs compiled, rules numbered in one
 * global order (policy files by name, then rules as written) and indexed by who they apply to, endpoint,
 * operation and model (for rules whose model patterns are names, {@code demo-small}, or prefixes,
 * {@code demo-*}), so a decision looks at the few rules that can match. Immutable and thread-safe.
 *
 * <p><b>Semantics.</b> A rule is a candidate when its policy applies to the caller (a group, role or
 * client id in {@code appliesTo}, or {@code everyone}); it matches when each matcher it writes matches
 * and its condition is true. Then, deterministically:
 * <ol>
 *   <li>a condition that cannot be evaluated denies, naming its rule (fail closed);</li>
 *   <li>the first matching {@code deny} rule denies (deny overrides allow);</li>
 *   <li>else the first matching {@code require-approval} rule holds the request for approval (if the
 *       request is within its limits; otherwise it denies, naming the limit);</li>
 *   <li>else the first matching {@code allow} rule whose limits the request is within allows it; if
 *       every matching allow rule refuses it, the first one denies, naming its limit
 *       ({@code batch 16 > 8});</li>
 *   <li>else nothing allows it: denied by {@code default/default-deny}.</li>
 * </ol>
 */
public final class PolicySet {

    /** The policy and rule named when nothing allowed a request. */
    public static final String DEFAULT_POLICY = "default";
    public static final String DEFAULT_RULE = "default-deny";

    private static final int[] NONE = new int[0];

    /** An index entry: who, which endpoint ("*" any), which operation (null any), which model (null any or a glob). */
    private record Key(String subject, String endpoint, OperationKind kind, String model) {
    }

    private final List<CompiledRule> rules;
    private final List<PolicyFile> policies;
    private final Map<Key, int[]> index;
    /** The lengths of the {@code prefix*} model patterns indexed, ascending. */
    private final int[] prefixLengths;

    /** The rule {@code name} of policy {@code policy}, or null. */
    CompiledRule rule(String policy, String name) {
        for (CompiledRule r : rules) {
            if (r.policy.equals(policy) && r.name.equals(name)) {
                return r;
            }
        }
        return null;
    }

    private PolicySet(List<PolicyFile> policies, List<CompiledRule> rules, Map<Key, int[]> index) {
        this.policies = policies;
        this.rules = rules;
        this.index = index;
        this.prefixLengths = index.keySet().stream().filter(k -> k.model() != null && k.model().endsWith("*"))
                .mapToInt(k -> k.model().length() - 1).distinct().sorted().toArray();
    }

    /** No policy: everything is denied by default. */
    public static PolicySet empty() {
        return new PolicySet(List.of(), List.of(), Map.of());
    }

    /**
     * Compiles the files of {@code policies/}.
     *
     * @param endpoints the ids of the endpoints of this load; a rule naming another is an error
     * @throws ConfigFileException naming the file and line of the first cross-file problem
     */
    public static PolicySet compile(List<ConfigFile<?>> files, Set<String> endpoints) {
        Map<String, ConfigFile<?>> byName = new HashMap<>();
        List<PolicyFile> policies = new ArrayList<>();
        List<CompiledRule> rules = new ArrayList<>();
        for (ConfigFile<?> file : files) {
            PolicyFile policy = file.as(PolicyFile.class);
            ConfigFile<?> other = byName.putIfAbsent(policy.name(), file);
            if (other != null) {
                throw file.error("name", "policy '" + policy.name() + "' is already defined in " + other.path());
            }
            for (int i = 0; i < policy.rules().size(); i++) {
                RuleConfig rule = policy.rules().get(i);
                if (rule.endpoints() != null) {
                    for (int e = 0; e < rule.endpoints().size(); e++) {
                        String id = rule.endpoints().get(e);
                        if (!endpoints.contains(id)) {
                            throw file.error("rules[" + i + "].endpoints[" + e + "]", "unknown endpoint '" + id
                                    + "' (known endpoints: " + String.join(", ", endpoints.stream().sorted().toList())
                                    + ")");
                        }
                    }
                }
                rules.add(new CompiledRule(rules.size(), policy.name(), policy.appliesTo(), rule));
            }
            policies.add(policy);
        }
        return new PolicySet(List.copyOf(policies), List.copyOf(rules), buildIndex(rules));
    }

    /** Compiles policies given as records (tests, benchmarks); every endpoint a rule names is accepted. */
    public static PolicySet of(List<PolicyFile> policies) {
        List<ConfigFile<?>> files = new ArrayList<>();
        Set<String> endpoints = new java.util.HashSet<>();
        for (PolicyFile p : policies) {
            files.add(new ConfigFile<>("policies/" + p.name() + ".yaml", p, path -> new int[] {1, 1}));
            p.rules().forEach(r -> {
                if (r.endpoints() != null) {
                    endpoints.addAll(r.endpoints());
                }
            });
        }
        return compile(files, endpoints);
    }

    private static Map<Key, int[]> buildIndex(List<CompiledRule> rules) {
        Map<Key, List<Integer>> lists = new HashMap<>();
        for (CompiledRule rule : rules) {
            List<String> subjects = new ArrayList<>();
            if (rule.appliesTo.everyone()) {
                subjects.add("*");
            } else {
                rule.appliesTo.groups().forEach(g -> subjects.add("g:" + g));
                rule.appliesTo.roles().forEach(r -> subjects.add("r:" + r));
                rule.appliesTo.clients().forEach(c -> subjects.add("c:" + c));
            }
            List<String> endpoints = rule.endpoints == null ? List.of("*") : List.copyOf(rule.endpoints);
            List<OperationKind> kinds = rule.operations == null ? java.util.Collections.singletonList(null)
                    : List.copyOf(rule.operations);
            // Index by model when every pattern is a name (demo-small) or a prefix (demo-*): key "demo-*".
            boolean indexable = rule.models != null
                    && rule.models.stream().allMatch(g -> g.isLiteral() || g.prefix() != null);
            List<String> models = indexable ? rule.models.stream().map(Glob::toString).toList()
                    : java.util.Collections.singletonList(null);
            for (String s : subjects) {
                for (String e : endpoints) {
                    for (OperationKind k : kinds) {
                        for (String m : models) {
                            lists.computeIfAbsent(new Key(s, e, k, m), x -> new ArrayList<>()).add(rule.ordinal);
                        }
                    }
                }
            }
        }
        Map<Key, int[]> index = new HashMap<>();
        lists.forEach((k, v) -> index.put(k, v.stream().mapToInt(Integer::intValue).toArray()));
        return index;
    }

    public int size() {
        return rules.size();
    }

    public List<PolicyFile> policies() {
        return policies;
    }

    /** Decides without a trail (the gateway's path). */
    public Decision decide(Identity identity, RequestFacts facts) {
        return decide(identity, facts, false, false);
    }

    /** Decides and records every rule considered ({@code policy explain}). */
    public Decision explain(Identity identity, RequestFacts facts) {
        return decide(identity, facts, true, false);
    }

    /**
     * Whether the caller may use {@code model} at all on this endpoint: some inference operation on it
     * would be allowed or held for approval. Method, path and limits are not considered.
     */
    public boolean mayUse(Identity identity, RequestFacts facts, String model, Set<OperationKind> kinds) {
        for (OperationKind kind : kinds) {
            Operation op = new Operation(facts.operation().protocol(), kind, model, false, 1, java.util.OptionalInt.empty());
            Verdict v = decide(identity, facts.withOperation(op), false, true).verdict();
            if (v != Verdict.DENY) {
                return true;
            }
        }
        return false;
    }

    private Decision decide(Identity identity, RequestFacts facts, boolean explain, boolean shapeFree) {
        List<String> trail = explain ? new ArrayList<>() : List.of();
        int[] candidates = explain ? allRules() : candidates(identity, facts);
        java.util.Set<String> notApplying = explain ? new java.util.HashSet<>() : null;
        dev.cel.runtime.CelVariableResolver variables = null;
        CompiledRule deny = null;
        CompiledRule approval = null;
        List<CompiledRule> allows = null;
        for (int ordinal : candidates) {
            CompiledRule rule = rules.get(ordinal);
            if (explain && !rule.appliesTo.covers(identity)) {
                if (notApplying.add(rule.policy)) {
                    trail.add("policy " + rule.policy + ": does not apply (" + describeSubjects(rule.appliesTo) + ")");
                }
                continue;
            }
            String mismatch = rule.mismatch(facts, explain, shapeFree);
            if (mismatch != null) {
                if (explain) {
                    trail.add(rule.id() + " (" + rule.effect.configName() + "): skipped: " + mismatch);
                }
                continue;
            }
            if (rule.when != null) {
                if (variables == null) {
                    variables = facts.resolver(identity);
                }
                boolean holds;
                try {
                    holds = rule.when.test(variables);
                } catch (Condition.EvaluationException e) {
                    String reason = "condition could not be evaluated (" + e.getMessage() + "), so the request is"
                            + " denied (fail closed)";
                    if (explain) {
                        trail.add(rule.id() + " (" + rule.effect.configName() + "): error: " + reason);
                    }
                    return new Decision(Verdict.DENY, rule.deciding(reason), null, trail);
                }
                if (!holds) {
                    if (explain) {
                        trail.add(rule.id() + " (" + rule.effect.configName() + "): skipped: condition is false: "
                                + rule.when.source());
                    }
                    continue;
                }
            }
            if (explain) {
                String refusal = rule.effect == Effect.DENY || shapeFree ? null : rule.refusal(facts);
                trail.add(rule.id() + " (" + rule.effect.configName() + "): matched"
                        + (rule.effect == Effect.DENY ? "" : refusal == null ? ", within its limits"
                        : ", but refused: " + refusal));
            }
            switch (rule.effect) {
                case DENY -> {
                    if (deny == null) {
                        deny = rule;
                    }
                    if (!explain) {
                        return denyBy(rule, facts, trail);
                    }
                }
                case REQUIRE_APPROVAL -> {
                    if (approval == null) {
                        approval = rule;
                    }
                }
                case ALLOW -> {
                    if (allows == null) {
                        allows = new ArrayList<>(2);
                    }
                    allows.add(rule);
                }
            }
        }
        if (deny != null) {
            return denyBy(deny, facts, trail);
        }
        if (approval != null) {
            String refusal = shapeFree ? null : approval.refusal(facts);
            if (refusal != null) {
                return new Decision(Verdict.DENY, approval.deciding(refusal), null, trail);
            }
            return new Decision(Verdict.REQUIRE_APPROVAL, approval.deciding("requires an approval: "
                    + describe(facts)), approval, trail);
        }
        if (allows != null) {
            CompiledRule firstRefusing = null;
            String firstRefusal = null;
            for (CompiledRule allow : allows) {
                String refusal = shapeFree ? null : allow.refusal(facts);
                if (refusal == null) {
                    return new Decision(Verdict.ALLOW, allow.deciding("allowed: " + describe(facts)), allow, trail);
                }
                if (firstRefusing == null) {
                    firstRefusing = allow;
                    firstRefusal = refusal;
                }
            }
            return new Decision(Verdict.DENY, firstRefusing.deciding(firstRefusal), null, trail);
        }
        return new Decision(Verdict.DENY, new DecidingRule(DEFAULT_POLICY, DEFAULT_RULE, defaultReason(identity,
                facts)), null, trail);
    }

    private Decision denyBy(CompiledRule rule, RequestFacts facts, List<String> trail) {
        String reason = rule.config.description() != null ? rule.config.description()
                : "denied: " + describe(facts);
        return new Decision(Verdict.DENY, rule.deciding(reason), null, trail);
    }

    /** {@code chat on model 'demo-large' at endpoint 'openai'}. */
    static String describe(RequestFacts facts) {
        Operation op = facts.operation();
        return op.kind().configName() + (op.model() == null ? "" : " on model '" + op.model() + "'") + " at endpoint '"
                + facts.endpoint() + "'";
    }

    private String defaultReason(Identity identity, RequestFacts facts) {
        List<String> applying = new ArrayList<>();
        for (PolicyFile p : policies) {
            if (p.appliesTo().covers(identity)) {
                applying.add(p.name());
            }
        }
        String who = identity == null ? "an unidentified caller" : "'" + identity.username() + "'";
        if (applying.isEmpty()) {
            return "no policy applies to " + who + (identity == null ? "" : " (groups "
                    + identity.groups().stream().sorted().toList() + ")");
        }
        return "no rule of " + (applying.size() == 1 ? "policy " : "policies ") + String.join(", ", applying)
                + " allows " + describe(facts);
    }

    /** The ordinals of the rules that can match, ascending, without duplicates. */
    private int[] candidates(Identity identity, RequestFacts facts) {
        if (identity == null || index.isEmpty()) {
            return NONE;
        }
        OperationKind kind = facts.operation().kind();
        String endpoint = facts.endpoint();
        int[][] found = new int[(identity.groups().size() + identity.roles().size() + 2) * 4
                * (2 + prefixLengths.length)][];
        int n = 0;
        String model = facts.operation().model();
        n = collect("*", endpoint, kind, model, found, n);
        for (String g : identity.groups()) {
            n = collect("g:" + g, endpoint, kind, model, found, n);
        }
        for (String r : identity.roles()) {
            n = collect("r:" + r, endpoint, kind, model, found, n);
        }
        if (identity.clientId() != null) {
            n = collect("c:" + identity.clientId(), endpoint, kind, model, found, n);
        }
        if (n == 0) {
            return NONE;
        }
        if (n == 1) {
            return found[0];
        }
        int total = 0;
        for (int i = 0; i < n; i++) {
            total += found[i].length;
        }
        int[] all = new int[total];
        int at = 0;
        for (int i = 0; i < n; i++) {
            System.arraycopy(found[i], 0, all, at, found[i].length);
            at += found[i].length;
        }
        Arrays.sort(all);
        int distinct = 0;
        for (int i = 0; i < all.length; i++) {
            if (i == 0 || all[i] != all[i - 1]) {
                all[distinct++] = all[i];
            }
        }
        return distinct == all.length ? all : Arrays.copyOf(all, distinct);
    }

    private int collect(String subject, String endpoint, OperationKind kind, String model, int[][] found, int n) {
        for (String e : new String[] {endpoint, "*"}) {
            for (OperationKind k : new OperationKind[] {kind, null}) {
                n = add(index.get(new Key(subject, e, k, null)), found, n);
                if (model != null) {
                    n = add(index.get(new Key(subject, e, k, model)), found, n);
                    for (int length : prefixLengths) {
                        if (length > model.length()) {
                            break;
                        }
                        n = add(index.get(new Key(subject, e, k, model.substring(0, length) + "*")), found, n);
                    }
                }
            }
        }
        return n;
    }

    private static int add(int[] hit, int[][] found, int n) {
        if (hit == null || n == found.length) {
            return n;
        }
        found[n] = hit;
        return n + 1;
    }

    /** Explain mode: every rule, in order. */
    private int[] allRules() {
        int[] all = new int[rules.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        return all;
    }

    private static String describeSubjects(AppliesTo a) {
        List<String> parts = new ArrayList<>();
        if (!a.groups().isEmpty()) {
            parts.add("groups " + a.groups().stream().sorted().toList());
        }
        if (!a.roles().isEmpty()) {
            parts.add("roles " + a.roles().stream().sorted().toList());
        }
        if (!a.clients().isEmpty()) {
            parts.add("clients " + a.clients().stream().sorted().toList());
        }
        return "it applies to " + String.join(", ", parts);
    }

    @Override
    public String toString() {
        return "PolicySet[" + policies.size() + " policies, " + rules.size() + " rules]";
    }

    static <T> T require(T value, String what) {
        return Objects.requireNonNull(value, what);
    }
}
