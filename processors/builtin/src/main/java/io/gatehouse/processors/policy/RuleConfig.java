package io.gatehouse.processors.policy;

import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.OperationKind;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One rule of a policy. A rule matches a request when every matcher it writes matches (a matcher left
 * out matches anything); then its effect applies. Operations {@code model-load}, {@code model-unload}
 * and {@code model-admin} are matched only by a rule that names them in {@code operations}.
 *
 * @param name        unique in its policy; named in denials and in the audit record
 * @param description for humans
 * @param effect      {@code allow}, {@code deny} or {@code require-approval}
 * @param endpoints   endpoint ids (each must exist); default: every endpoint
 * @param models      model name patterns ({@code demo-*}); default: any model, or none
 * @param operations  operation kinds from the protocol adapter ({@code chat}, {@code embeddings}, …)
 * @param methods     HTTP methods ({@code GET}, {@code POST})
 * @param paths       request path patterns ({@code /v1/models/*}, {@code /v2/**})
 * @param when        a CEL condition over {@code identity}, {@code request}, {@code operation},
 *                    {@code time}; must be a bool; an evaluation error denies
 * @param limits      bounds of an allowing rule
 * @param rateLimits  request rates and token quotas of an allowing rule
 * @param hideFields  JSON Pointers removed from answers (and from each event of a stream), {@code *}
 *                    for every array element: {@code /usage}, {@code /choices/*}{@code /logprobs}
 * @param outputs     KServe v2: the output tensors the caller may see; others are removed from the
 *                    request's {@code outputs[]} and from the answer
 * @param approvers   {@code require-approval}: groups whose members may approve; default: the approval
 *                    step's
 * @param approvalTtl {@code require-approval}: how long a held request waits; default: the approval step's
 * @param breakGlass  {@code deny} and {@code require-approval}: members of gateway.yaml's {@code breakGlass.groups}
 *                    may bypass this rule, with a justification header, while a window they opened is open
 */
public record RuleConfig(String name, String description, Effect effect, List<String> endpoints, List<String> models,
                         Set<OperationKind> operations, Set<String> methods, List<String> paths, String when,
                         RuleLimits limits, List<RateLimitConfig> rateLimits, List<String> hideFields,
                         List<String> outputs, Set<String> approvers, Duration approvalTtl, Boolean breakGlass) {

    /** A rule nobody may bypass by breaking glass. */
    public RuleConfig(String name, String description, Effect effect, List<String> endpoints, List<String> models,
                      Set<OperationKind> operations, Set<String> methods, List<String> paths, String when,
                      RuleLimits limits, List<RateLimitConfig> rateLimits, List<String> hideFields,
                      List<String> outputs, Set<String> approvers, Duration approvalTtl) {
        this(name, description, effect, endpoints, models, operations, methods, paths, when, limits, rateLimits,
                hideFields, outputs, approvers, approvalTtl, null);
    }

    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    public RuleConfig {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new ConfigException("name", name == null ? "is required, e.g. name: chat-small"
                    : "'" + name + "' is not a rule name (lower-case letters, digits and '-')");
        }
        if (effect == null) {
            throw new ConfigException("effect", "is required: allow, deny or require-approval");
        }
        endpoints = endpoints == null ? null : List.copyOf(endpoints);
        models = models == null ? null : List.copyOf(models);
        operations = operations == null ? null : Set.copyOf(operations);
        paths = paths == null ? null : List.copyOf(paths);
        rateLimits = rateLimits == null ? List.of() : List.copyOf(rateLimits);
        hideFields = hideFields == null ? List.of() : List.copyOf(hideFields);
        outputs = outputs == null ? null : List.copyOf(outputs);
        approvers = approvers == null ? Set.of() : Set.copyOf(approvers);
        if (methods != null) {
            Set<String> upper = new HashSet<>();
            for (String m : methods) {
                if (!m.matches("[A-Za-z]+")) {
                    throw new ConfigException("methods", "'" + m + "' is not an HTTP method");
                }
                upper.add(m.toUpperCase(Locale.ROOT));
            }
            methods = Set.copyOf(upper);
        }
        for (List<String> list : java.util.Arrays.asList(endpoints, models, paths)) {
            if (list != null && list.isEmpty()) {
                throw new ConfigException(list == endpoints ? "endpoints" : list == models ? "models" : "paths",
                        "is empty, so the rule could never match; leave it out to match anything");
            }
        }
        if (paths != null) {
            for (String p : paths) {
                if (!p.startsWith("/")) {
                    throw new ConfigException("paths", "'" + p + "' does not start with '/'");
                }
            }
        }
        for (String pointer : hideFields) {
            try {
                FieldPointer.parse(pointer);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("hideFields", e.getMessage());
            }
        }
        if (when != null) {
            if (when.isBlank()) {
                throw new ConfigException("when", "is empty; leave it out to match without a condition");
            }
            try {
                Condition.compile(when);
            } catch (IllegalArgumentException e) {
                throw new ConfigException("when", "does not compile: " + e.getMessage());
            }
        }
        if (effect == Effect.DENY) {
            String extra = limits != null ? "limits" : !rateLimits.isEmpty() ? "rateLimits"
                    : !hideFields.isEmpty() ? "hideFields" : outputs != null ? "outputs" : null;
            if (extra != null) {
                throw new ConfigException(extra, "a deny rule has no " + extra + " (they bound what a rule allows)");
            }
        }
        if (effect != Effect.REQUIRE_APPROVAL && (!approvers.isEmpty() || approvalTtl != null)) {
            throw new ConfigException(approvers.isEmpty() ? "approvalTtl" : "approvers",
                    "only a require-approval rule names approvers and an approval TTL");
        }
        if (approvalTtl != null && (approvalTtl.isNegative() || approvalTtl.isZero())) {
            throw new ConfigException("approvalTtl", "must be positive");
        }
        limits = limits == null ? RuleLimits.none() : limits;
        breakGlass = Boolean.TRUE.equals(breakGlass);
        if (breakGlass && effect == Effect.ALLOW) {
            throw new ConfigException("breakGlass", "only a deny or require-approval rule can be bypassed by breaking"
                    + " glass");
        }
    }
}
