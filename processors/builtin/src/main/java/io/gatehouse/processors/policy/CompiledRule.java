package io.gatehouse.processors.policy;

import io.gatehouse.spi.ApprovalRequirement;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.Glob;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A rule ready to decide: its matchers compiled, its place in the global order fixed. Immutable and
 * thread-safe.
 */
public final class CompiledRule {

    /** Operations that only a rule naming them can match. */
    static final Set<OperationKind> EXPLICIT_ONLY = EnumSet.of(OperationKind.MODEL_LOAD, OperationKind.MODEL_UNLOAD,
            OperationKind.MODEL_ADMIN);

    private static final String NO = "no";

    final int ordinal;
    final String policy;
    final String name;
    final Effect effect;
    final AppliesTo appliesTo;
    final Set<String> endpoints;
    final List<Glob> models;
    final Set<OperationKind> operations;
    final Set<String> methods;
    final List<Glob> paths;
    final Condition when;
    final RuleLimits limits;
    final List<RateLimitConfig> rateLimits;
    final List<FieldPointer> hideFields;
    final Set<String> outputs;
    final RuleConfig config;
    /** The policy's groups in the order a shared rate-limit bucket picks one (sorted once, not per request). */
    final List<String> groupsInBucketOrder;
    /** {@code policy/rule#i/} of each rate limit: the constant head of its bucket keys. */
    final List<String> bucketKeyHeads;
    /** Whether any of its rate limits counts tokens (then the request's token cap is set). */
    final boolean countsTokens;

    CompiledRule(int ordinal, String policy, AppliesTo appliesTo, RuleConfig rule) {
        this.ordinal = ordinal;
        this.policy = policy;
        this.name = rule.name();
        this.effect = rule.effect();
        this.appliesTo = appliesTo;
        this.endpoints = rule.endpoints() == null ? null : Set.copyOf(rule.endpoints());
        this.models = rule.models() == null ? null : rule.models().stream().map(Glob::of).toList();
        this.operations = rule.operations() == null ? null : Set.copyOf(rule.operations());
        this.methods = rule.methods();
        this.paths = rule.paths() == null ? null : rule.paths().stream().map(Glob::of).toList();
        this.when = rule.when() == null ? null : Condition.compile(rule.when());
        this.limits = rule.limits();
        this.rateLimits = rule.rateLimits();
        this.hideFields = rule.hideFields().stream().map(FieldPointer::parse).toList();
        this.outputs = rule.outputs() == null ? null : Set.copyOf(rule.outputs());
        this.config = rule;
        this.groupsInBucketOrder = appliesTo.groups().stream().sorted().toList();
        int limitCount = rateLimits == null ? 0 : rateLimits.size();
        this.bucketKeyHeads = IntStream.range(0, limitCount)
                .mapToObj(i -> policy + "/" + name + "#" + i + "/").toList();
        this.countsTokens = rateLimits != null && rateLimits.stream().anyMatch(RateLimitConfig::countsTokens);
    }

    public String policy() {
        return policy;
    }

    public String name() {
        return name;
    }

    public Effect effect() {
        return effect;
    }

    /** {@code analysts/chat-small}. */
    String id() {
        return policy + "/" + name;
    }

    /**
     * Null when every matcher but the condition matches; otherwise why not (a fixed word unless
     * {@code explain}, so the fast path builds no text).
     *
     * @param shapeFree ignore method and path (when asking which models a caller may use at all)
     */
    String mismatch(RequestFacts f, boolean explain, boolean shapeFree) {
        Operation op = f.operation();
        if (endpoints != null && !endpoints.contains(f.endpoint())) {
            return explain ? "endpoint '" + f.endpoint() + "' is not in " + sorted(endpoints) : NO;
        }
        if (operations == null) {
            if (EXPLICIT_ONLY.contains(op.kind())) {
                return explain ? "operation " + op.kind().configName() + " matches only rules that name it in"
                        + " operations" : NO;
            }
        } else if (!operations.contains(op.kind())) {
            return explain ? "operation " + op.kind().configName() + " is not in "
                    + sorted(operations.stream().map(OperationKind::configName).collect(Collectors.toSet())) : NO;
        }
        if (models != null && !anyMatches(models, op.model())) {
            return explain ? (op.model() == null ? "the request names no model, and the rule needs one of " + models
                    : "model '" + op.model() + "' matches none of " + models) : NO;
        }
        if (shapeFree) {
            return null;
        }
        if (methods != null && !methods.contains(f.method())) {
            return explain ? "method " + f.method() + " is not in " + sorted(methods) : NO;
        }
        if (paths != null && !anyMatches(paths, f.path())) {
            return explain ? "path '" + f.path() + "' matches none of " + paths : NO;
        }
        return null;
    }

    /** Null when the request is within this rule's limits; otherwise the reason, e.g. {@code batch 16 > 8}. */
    String refusal(RequestFacts f) {
        Operation op = f.operation();
        if (limits.maxBodyBytes() != null && f.bodyBytes() > limits.maxBodyBytes().bytes()) {
            return "body " + f.bodyBytes() + " bytes > " + limits.maxBodyBytes().bytes();
        }
        if (limits.maxBatch() != null && op.batch() > limits.maxBatch()) {
            return "batch " + op.batch() + " > " + limits.maxBatch();
        }
        if (limits.maxTokens() != null && op.maxTokens().isPresent() && op.maxTokens().getAsInt() > limits.maxTokens()) {
            return "max_tokens " + op.maxTokens().getAsInt() + " > " + limits.maxTokens();
        }
        if (!limits.streaming() && op.stream()) {
            return "streaming is not allowed";
        }
        return null;
    }

    DecidingRule deciding(String reason) {
        return new DecidingRule(policy, name, reason);
    }

    ApprovalRequirement approval(String reason) {
        return new ApprovalRequirement(deciding(reason), config.approvers(), config.approvalTtl());
    }

    private static boolean anyMatches(List<Glob> globs, String value) {
        if (value == null) {
            return false;
        }
        for (Glob g : globs) {
            if (g.matches(value)) {
                return true;
            }
        }
        return false;
    }

    private static String sorted(Set<String> values) {
        return values.stream().sorted().toList().toString();
    }

    @Override
    public String toString() {
        return "rule " + id() + " (" + effect.configName() + ")";
    }
}
