package io.gatehouse.processors.policy;

import io.gatehouse.processors.policy.Decision.Verdict;
import io.gatehouse.processors.recording.RecordingProcessor;
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
import io.gatehouse.spi.StandardAttributes;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
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
    private final RateLimits rates;
    private final Executor rateExecutor;
    private final PolicyConfig config;
    private final Clock clock;

    PolicyProcessor(PolicySet policies, RateLimits rates, Executor rateExecutor, PolicyConfig config, Clock clock) {
        this.policies = policies;
        this.rates = rates;
        this.rateExecutor = rateExecutor;
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
        if (!rates.remote()) {
            return done(checkRates(rule, identity));
        }
        try {
            return CompletableFuture.supplyAsync(() -> checkRates(rule, identity), rateExecutor);
        } catch (RejectedExecutionException e) {
            return done(unavailable(rule, "the rate-limit store is overloaded"));
        }
    }

    private Outcome checkRates(CompiledRule rule, Identity identity) {
        try {
            for (int i = 0; i < rule.rateLimits.size(); i++) {
                RateLimitConfig limit = rule.rateLimits.get(i);
                String key = bucketKey(rule, i, limit, identity);
                long wait = limit.countsTokens() ? rates.quotaWait(key, limit) : rates.takeRequest(key, limit);
                if (wait > 0) {
                    return tooMany(rule, limit, wait);
                }
            }
            return Outcome.proceed();
        } catch (RuntimeException e) {
            LOG.warn("rate limits of {} could not be checked: {}", rule, e.toString());
            return unavailable(rule, "the rate-limit store cannot be reached");
        }
    }

    static String bucketKey(CompiledRule rule, int index, RateLimitConfig limit, Identity identity) {
        String who;
        if (limit.per() == RateLimitConfig.Per.IDENTITY) {
            who = identity == null ? "anonymous" : "i:" + identity.issuer() + "|" + identity.subject();
        } else {
            who = "p:" + rule.policy;
            if (identity != null) {
                for (String g : rule.appliesTo.groups().stream().sorted().toList()) {
                    if (identity.groups().contains(g)) {
                        who = "g:" + g;
                        break;
                    }
                }
            }
        }
        return RateLimits.key(rule.policy + "/" + rule.name + "#" + index + "/" + who);
    }

    private static Outcome tooMany(CompiledRule rule, RateLimitConfig limit, long waitNanos) {
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
        return rule.rateLimits.stream().anyMatch(RateLimitConfig::countsTokens);
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
                charge(rule, applied, -1);
            }
            return;
        }
        java.util.function.Predicate<String> visible = listing ? model -> model != null
                && policies.mayUse(applied.identity(), applied.facts(), model, USES) : null;
        boolean strict = response.status() / 100 == 2 && (!rule.hideFields.isEmpty() || rule.outputs != null);
        response.body().transform(new ResponseFilter(framing, rule.hideFields, rule.outputs, visible, strict,
                used -> {
                    if (tokens) {
                        charge(rule, applied, used);
                    }
                }));
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
    private void charge(CompiledRule rule, Applied applied, long used) {
        long tokens = used >= 0 ? used : applied.tokenCap();
        if (tokens <= 0) {
            return;
        }
        Runnable work = () -> {
            for (int i = 0; i < rule.rateLimits.size(); i++) {
                RateLimitConfig limit = rule.rateLimits.get(i);
                if (limit.countsTokens()) {
                    try {
                        rates.charge(bucketKey(rule, i, limit, applied.identity()), limit, tokens);
                    } catch (RuntimeException e) {
                        LOG.warn("tokens of {} could not be charged: {}", rule, e.toString());
                    }
                }
            }
        };
        if (rates.remote()) {
            try {
                rateExecutor.execute(work);
            } catch (RejectedExecutionException e) {
                LOG.warn("tokens of {} were not charged: the rate-limit store is overloaded", rule);
            }
        } else {
            work.run();
        }
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        parts.add(policies.toString());
        parts.add(rates.toString());
        return "policy" + parts;
    }
}
