package io.gatehouse.processors.policy;

import io.gatehouse.processors.policy.Decision.Verdict;
import io.gatehouse.processors.recording.RecordingProcessor;
import io.gatehouse.processors.support.MaskedAnswer;
import io.gatehouse.processors.support.ParsedAnswer;
import io.gatehouse.spi.ApprovalRequirement;
import io.gatehouse.spi.AttributeKey;
import io.gatehouse.spi.Attributes;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.GatewayResponse;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.QuotaEscalation;
import io.gatehouse.spi.ServiceUnavailableException;
import io.gatehouse.spi.StandardAttributes;
import io.gatehouse.spi.approval.ApprovalService;
import io.gatehouse.spi.breakglass.BreakGlassService;
import io.gatehouse.spi.ratelimit.BucketAnswer;
import io.gatehouse.spi.ratelimit.RateLimitBuckets;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code policy} step of one endpoint: decides each request against the compiled policies, enforces
 * the allowing rule's limits, rates and quotas, writes its output cap into the request, hands a
 * require-approval decision to the approval step, and in the response phase hides the fields the rule
 * hides and filters model listings. Thread-safe: holds only what the factory compiled.
 */
public final class PolicyProcessor implements GatewayProcessor {

    /**
     * Set to true before the request phase to ask for the trail of rules considered (a dry run:
     * {@code gatehouse policy explain}); no rate budget is taken. The trail is left in {@link #TRAIL}.
     */
    public static final AttributeKey<Boolean> EXPLAIN = AttributeKey.of("policy.explain", Boolean.class);

    /** The decision and the trail of rules considered, one per line, when {@link #EXPLAIN} was set. */
    public static final AttributeKey<String> TRAIL = AttributeKey.of("policy.trail", String.class);

    /**
     * In a dry run ({@link #EXPLAIN}): the JSON Pointers the deciding rule removes from the answer, one per
     * line, as written in the policy ({@code gatehouse policy test} compares them with expectations).
     */
    public static final AttributeKey<String> HIDDEN_FIELDS = AttributeKey.of("policy.hidden-fields", String.class);

    /** The quota an exchange asked for more of (its answer's tokens are charged to the grant). */
    static final AttributeKey<QuotaEscalation> QUOTA_GRANT = AttributeKey.of("policy.quota-grant",
            QuotaEscalation.class);

    /** What this step decided, for its response phase. */
    static final AttributeKey<Applied> APPLIED = AttributeKey.of("policy.applied", Applied.class);

    private static final Logger LOG = LoggerFactory.getLogger(PolicyProcessor.class);

    /** Inference operations: a listing shows a model when one of these on it would be allowed. */
    private static final Set<OperationKind> USES = EnumSet.of(OperationKind.CHAT, OperationKind.COMPLETION,
            OperationKind.EMBEDDINGS, OperationKind.RESPONSES, OperationKind.INFER);

    /** The allowing rule of an exchange and what the request asked for. */
    record Applied(CompiledRule rule, Identity identity, RequestFacts facts, long tokenCap) {
    }

    private final PolicySet policies;
    private final RateLimitBuckets rates;
    private final ApprovalService approvals;
    private final BreakGlassService breakGlass;
    private final PolicyConfig config;
    private final Clock clock;

    PolicyProcessor(PolicySet policies, RateLimitBuckets rates, PolicyConfig config, Clock clock) {
        this(policies, rates, null, null, config, clock);
    }

    /**
     * @param approvals  where token-quota grants are charged; null when the gateway has no approvals
     * @param breakGlass break-glass windows and uses; null when the gateway has none (no bypass)
     */
    PolicyProcessor(PolicySet policies, RateLimitBuckets rates, ApprovalService approvals,
                    BreakGlassService breakGlass, PolicyConfig config, Clock clock) {
        this.policies = policies;
        this.rates = rates;
        this.approvals = approvals;
        this.breakGlass = breakGlass;
        this.config = config;
        this.clock = clock;
    }

    @Override
    public CompletionStage<Outcome> onRequestAsync(GatewayExchange exchange) {
        Identity identity = exchange.identity().orElse(null);
        RequestFacts facts = RequestFacts.of(exchange, clock.instant());
        boolean explain = exchange.attributes().get(EXPLAIN).orElse(false);
        Decision decision = explain ? policies.explain(identity, facts) : policies.decide(identity, facts);
        if (explain) {
            exchange.attributes().put(TRAIL, String.join("\n", decision.trail()));
        }
        if (decision.verdict() != Verdict.ALLOW && !explain) {
            CompletionStage<Outcome> broken = BreakGlass.tryBypass(breakGlass, policies, decision, exchange, identity);
            if (broken != null) {
                return broken;
            }
        }
        if (decision.verdict() == Verdict.DENY) {
            return done(forbidden(decision.rule(), identity == null));
        }
        CompiledRule rule = decision.by();
        long cap;
        try {
            cap = RequestRewriter.apply(exchange.request(), exchange.operation(), rule, countsTokens(rule));
        } catch (RequestRewriter.Refused e) {
            return done(forbidden(rule.deciding(e.getMessage()), false));
        }
        Attributes attributes = exchange.attributes();
        attributes.put(RecordingProcessor.POLICY_DECISION, decision.rule());
        attributes.put(APPLIED, new Applied(rule, identity, facts, cap));
        if (explain) {
            attributes.put(HIDDEN_FIELDS, String.join("\n", rule.config.hideFields()));
        }
        if (decision.verdict() == Verdict.REQUIRE_APPROVAL) {
            attributes.put(StandardAttributes.APPROVAL_REQUIRED, rule.approval(decision.rule().reason()));
        }
        Operation op = exchange.operation();
        if (op.stream() && rule.limits.maxStreamDuration() != null) {
            shortenDeadline(attributes, clock.instant().plus(rule.limits.maxStreamDuration()));
        }
        if (rule.rateLimits.isEmpty() || explain) {
            return done(Outcome.proceed());
        }
        return checkRates(exchange, rule, identity, 0).exceptionally(error -> {
            LOG.warn("rate limits of {} could not be checked: {}", rule, error.toString());
            ServiceUnavailableException unavailable = ServiceUnavailableException.find(error);
            return unavailable(rule, unavailable != null && unavailable.getMessage() != null
                    ? unavailable.getMessage() : "the rate-limit store cannot be reached");
        });
    }

    /**
     * The rule's rate limits from the {@code index}th on: the first that refuses decides (429), unless it
     * escalates ({@code onExceeded: require-approval}): then the request is handed to the approval step as
     * a request for more of that quota, and the remaining limits are still checked.
     */
    private CompletionStage<Outcome> checkRates(GatewayExchange exchange, CompiledRule rule, Identity identity,
                                                int index) {
        if (index == rule.rateLimits.size()) {
            return done(Outcome.proceed());
        }
        RateLimitConfig limit = rule.rateLimits.get(index);
        String key = bucketKey(rule, index, limit, identity);
        CompletionStage<BucketAnswer> answer;
        try {
            answer = limit.countsTokens() ? rates.check(key, limit.bucket()) : rates.tryTake(key, limit.bucket(), 1);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return answer.thenCompose(a -> {
            if (a.granted()) {
                return checkRates(exchange, rule, identity, index + 1);
            }
            if (limit.escalates() && escalate(exchange, rule, limit, key)) {
                return checkRates(exchange, rule, identity, index + 1);
            }
            return done(tooMany(rule, limit, a.retryAfter()));
        });
    }

    /**
     * Over a quota that escalates: the approval step holds the request (202) or lets it use a grant of more
     * of this quota. False when the exchange already needs an approval of another kind (then the 429 stands).
     */
    private static boolean escalate(GatewayExchange exchange, CompiledRule rule, RateLimitConfig limit, String key) {
        Attributes attributes = exchange.attributes();
        ApprovalRequirement existing = attributes.get(StandardAttributes.APPROVAL_REQUIRED).orElse(null);
        if (existing != null) {
            return existing.quota() != null;   // the first exceeded quota is the one asked about
        }
        QuotaEscalation quota = new QuotaEscalation(key, limit.countsTokens() ? "tokens" : "requests",
                limit.describe(), limit.maxExtra(), limit.maxExtraFor());
        attributes.put(StandardAttributes.APPROVAL_REQUIRED, new ApprovalRequirement(
                rule.deciding(limit.describe() + " exceeded; more needs an approval"), limit.approvers(), null, quota));
        attributes.put(QUOTA_GRANT, quota);
        return true;
    }

    /** The rule's forbidding answer: for {@link BreakGlass}. */
    static Outcome.Deny forbiddenBy(DecidingRule rule) {
        return forbidden(rule, false);
    }

    static String bucketKey(CompiledRule rule, int index, RateLimitConfig limit, Identity identity) {
        String who;
        if (limit.per() == RateLimitConfig.Per.IDENTITY) {
            who = identity == null ? "anonymous" : "i:" + identity.issuer() + "|" + identity.subject();
        } else {
            who = "p:" + rule.policy;
            if (identity != null) {
                for (String g : rule.groupsInBucketOrder) {
                    if (identity.groups().contains(g)) {
                        who = "g:" + g;
                        break;
                    }
                }
            }
        }
        return key(rule.bucketKeyHeads.get(index) + who);
    }

    /** A bucket key of at most {@link RateLimitBuckets#MAX_KEY} characters: long ones are hashed. */
    static String key(String text) {
        if (text.length() <= RateLimitBuckets.MAX_KEY) {
            return text;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return text.substring(0, 100) + "#" + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Outcome tooMany(CompiledRule rule, RateLimitConfig limit, Duration wait) {
        long waitNanos = wait.toNanos();
        long seconds = Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
        String reason = limit.describe() + " exceeded";
        return Outcome.deny(429, "Too many requests", "policy '" + rule.policy + "' rule '" + rule.name
                        + "' allows " + limit.describe() + "; retry in " + seconds + " s",
                rule.deciding(reason)).withHeader("Retry-After", Long.toString(seconds));
    }

    private static Outcome unavailable(CompiledRule rule, String why) {
        return Outcome.deny(503, "Rate limits unavailable", why + ", so the request was refused (fail closed)",
                rule.deciding(why)).withHeader("Retry-After", "5");
    }

    private static Outcome.Deny forbidden(DecidingRule rule, boolean anonymous) {
        String detail;
        if (PolicySet.DEFAULT_POLICY.equals(rule.policy())) {
            detail = "no policy rule allows this request: " + rule.reason()
                    + (anonymous ? " (no verified caller: the policy step must come after an auth step)" : "");
        } else {
            detail = "policy '" + rule.policy() + "' rule '" + rule.rule() + "' refuses this request: " + rule.reason();
        }
        return Outcome.deny(403, "Forbidden by policy", detail, rule);
    }

    private static CompletionStage<Outcome> done(Outcome outcome) {
        return CompletableFuture.completedFuture(outcome);
    }

    private static boolean countsTokens(CompiledRule rule) {
        return rule.countsTokens;
    }

    private static void shortenDeadline(Attributes attributes, Instant deadline) {
        Instant current = attributes.get(StandardAttributes.DEADLINE).orElse(null);
        if (current == null || deadline.isBefore(current)) {
            attributes.put(StandardAttributes.DEADLINE, deadline);
        }
    }

    @Override
    public void onResponse(GatewayExchange exchange) {
        Applied applied = exchange.attributes().get(APPLIED).orElse(null);
        GatewayResponse response = exchange.response().orElse(null);
        if (applied == null || response == null) {
            return;
        }
        CompiledRule rule = applied.rule();
        boolean listing = config.filterModelLists() && exchange.operation().kind() == OperationKind.LIST_MODELS
                && response.status() / 100 == 2;
        boolean tokens = countsTokens(rule);
        if (!listing && rule.hideFields.isEmpty() && rule.outputs == null && !tokens) {
            return;
        }
        ResponseFilter.Framing framing = framing(response);
        if (framing == null) {
            if (tokens) {
                charge(exchange, rule, applied, -1);
            }
            return;
        }
        java.util.function.Predicate<String> visible = listing ? model -> model != null
                && policies.mayUse(applied.identity(), applied.facts(), model, USES) : null;
        boolean strict = response.status() / 100 == 2 && (!rule.hideFields.isEmpty() || rule.outputs != null);
        response.body().transform(new ResponseFilter(framing, rule.hideFields, rule.outputs, visible, strict,
                used -> {
                    if (tokens) {
                        charge(exchange, rule, applied, used);
                    }
                }, framing == ResponseFilter.Framing.WHOLE ? ParsedAnswer.existing(exchange.attributes()) : null,
                framing == ResponseFilter.Framing.WHOLE
                        ? (from, to) -> MaskedAnswer.removed(exchange.attributes(), from, to) : null));
    }

    private static ResponseFilter.Framing framing(GatewayResponse response) {
        String type = response.headers().first("Content-Type").orElse("").toLowerCase(Locale.ROOT);
        int semi = type.indexOf(';');
        String mime = (semi < 0 ? type : type.substring(0, semi)).trim();
        if (mime.equals("text/event-stream")) {
            return ResponseFilter.Framing.SSE;
        }
        if (mime.equals("application/x-ndjson") || mime.equals("application/ndjson")) {
            return ResponseFilter.Framing.NDJSON;
        }
        if (mime.equals("application/json") || mime.endsWith("+json") || mime.isEmpty()) {
            return response.body().streamed() ? ResponseFilter.Framing.NDJSON : ResponseFilter.Framing.WHOLE;
        }
        return null;
    }

    /** Charges the answer's tokens to the rule's token quotas: its usage, else the output cap in force. */
    private void charge(GatewayExchange exchange, CompiledRule rule, Applied applied, long used) {
        long tokens = used >= 0 ? used : applied.tokenCap();
        if (tokens <= 0) {
            return;
        }
        chargeGrant(exchange, tokens);
        for (int i = 0; i < rule.rateLimits.size(); i++) {
            RateLimitConfig limit = rule.rateLimits.get(i);
            if (limit.countsTokens()) {
                CompletionStage<Void> charged;
                try {
                    charged = rates.charge(bucketKey(rule, i, limit, applied.identity()), limit.bucket(), tokens);
                } catch (RuntimeException e) {
                    charged = CompletableFuture.failedFuture(e);
                }
                charged.whenComplete((ok, error) -> {
                    if (error != null) {
                        LOG.warn("tokens of {} could not be charged: {}", rule, error.toString());
                    }
                });
            }
        }
    }

    /** An answer let through by a grant of more tokens: its tokens use up the grant (the first use was the request). */
    private void chargeGrant(GatewayExchange exchange, long tokens) {
        QuotaEscalation quota = exchange.attributes().get(QUOTA_GRANT).orElse(null);
        String id = exchange.attributes().get(StandardAttributes.APPROVAL_ID).orElse(null);
        if (quota == null || !quota.countsTokens() || id == null || approvals == null) {
            return;
        }
        CompletionStage<Void> charged;
        try {
            charged = approvals.charge(id, tokens - 1);
        } catch (RuntimeException e) {
            charged = CompletableFuture.failedFuture(e);
        }
        charged.whenComplete((ok, error) -> {
            if (error != null) {
                LOG.warn("tokens of grant {} could not be charged: {}", id, error.toString());
            }
        });
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        parts.add(policies.toString());
        parts.add(rates.toString());
        return "policy" + parts;
    }
}
