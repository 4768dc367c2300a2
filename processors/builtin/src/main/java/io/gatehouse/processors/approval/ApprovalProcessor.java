package io.gatehouse.processors.approval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.processors.support.Durations;
import io.gatehouse.spi.ApprovalRequirement;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.GatewayRequest;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.QuotaEscalation;
import io.gatehouse.spi.ServiceUnavailableException;
import io.gatehouse.spi.StandardAttributes;
import io.gatehouse.spi.approval.Approval;
import io.gatehouse.spi.approval.ApprovalRequest;
import io.gatehouse.spi.approval.ApprovalService;
import io.gatehouse.spi.approval.Person;
import io.gatehouse.spi.approval.UseResult;
import io.gatehouse.spi.approval.Vote;
import java.nio.charset.StandardCharsets;
import java.text.NumberFormat;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds a request that needs approval ({@code 202 Accepted}, {@code Location: /admin/approvals/{id}})
 * and lets it through when it comes back with {@code Gatehouse-Approval: {id}} and that approval is
 * granted, belongs to the same requester and was given for this very request (digest). With
 * {@code Prefer: wait=N} the connection stays open up to N seconds (at most {@code maxWait}) and the
 * request goes on as soon as it is approved; no thread waits meanwhile. Thread-safe; per-request
 * state lives in the exchange.
 */
final class ApprovalProcessor implements GatewayProcessor {

    static final String APPROVAL_HEADER = "Gatehouse-Approval";
    static final String REASON_HEADER = "Gatehouse-Reason";
    static final String PREFER_HEADER = "Prefer";
    static final int MAX_REASON = 500;

    private static final Logger LOG = LoggerFactory.getLogger(ApprovalProcessor.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern WAIT = Pattern.compile("(?:^|[,;\\s])wait\\s*=\\s*\"?(\\d{1,9})\"?",
            Pattern.CASE_INSENSITIVE);

    /** Why and by whom this request needs approval; {@code quota} when it asks for more of a quota. */
    private record Requirement(DecidingRule rule, Set<String> groups, Duration ttl, QuotaEscalation quota) {
    }

    private final ApprovalConfig config;
    private final ApprovalService approvals;
    private final String endpointId;
    private final ApprovalCondition condition;

    ApprovalProcessor(ApprovalConfig config, ApprovalService approvals, String endpointId) {
        this.config = config;
        this.approvals = approvals;
        this.endpointId = endpointId;
        this.condition = config.when().compiledCondition();
    }

    @Override
    public CompletionStage<Outcome> onRequestAsync(GatewayExchange exchange) {
        Headers headers = exchange.request().headers();
        String id = headers.first(APPROVAL_HEADER).map(String::trim).orElse(null);
        String reason = headers.first(REASON_HEADER).map(ApprovalProcessor::cleanReason).filter(r -> !r.isEmpty())
                .orElse(null);
        Duration wait = preferredWait(headers);
        // Client inputs for this step only: nothing after it (nor the model) sees them.
        headers.remove(APPROVAL_HEADER);
        headers.remove(REASON_HEADER);

        Requirement need = requirement(exchange);
        if (need == null) {
            return done(Outcome.proceed());
        }
        Identity identity = exchange.identity().orElse(null);
        if (identity == null) {
            return done(Outcome.deny(403, "Approval needs a verified caller", "this request needs an approval, but"
                    + " no caller was identified; the endpoint's pipeline must run auth before approval",
                    rule("no-identity", "no auth step before approval")));
        }
        Person requester = Person.of(identity);
        String digest = need.quota() != null ? RequestDigest.ofQuota(endpointId, need.quota().scope())
                : RequestDigest.of(endpointId, exchange.request(), config.digestHeaders());
        CompletionStage<Outcome> outcome;
        if (id != null) {
            if (!ID.matcher(id).matches()) {
                return done(refused(new UseResult(UseResult.Verdict.UNKNOWN, null), "(malformed)"));
            }
            outcome = approvals.use(id, requester, endpointId, digest, exchange.requestId())
                    .thenCompose(result -> afterUse(exchange, result, id, requester, digest, wait));
        } else {
            if (config.requireReason() && reason == null) {
                return done(Outcome.deny(400, "Reason required", "this request needs an approval and a reason: send"
                        + " the header " + REASON_HEADER + ": <why you need it>", rule("reason-required",
                        "endpoint '" + endpointId + "' requires a reason")));
            }
            outcome = approvals.hold(request(exchange, requester, need, digest, reason)).thenCompose(a -> {
                LOG.info("request {} held for approval {}: {}", exchange.requestId(), a.id(), a.summary());
                return wait.isZero() ? done(held(a, null)) : waitFor(exchange, a, requester, digest, wait);
            });
        }
        return outcome.exceptionally(ApprovalProcessor::storeDown);
    }

    private CompletionStage<Outcome> afterUse(GatewayExchange exchange, UseResult result, String id,
                                              Person requester, String digest, Duration wait) {
        if (result.granted()) {
            return done(release(exchange, id));
        }
        if (result.verdict() == UseResult.Verdict.PENDING) {
            return wait.isZero() ? done(held(result.approval(), null))
                    : waitFor(exchange, result.approval(), requester, digest, wait);
        }
        return done(refused(result, id));
    }

    /** Holds the connection until a decision, the wait's end or the approval's expiry, whichever is first. */
    private CompletionStage<Outcome> waitFor(GatewayExchange exchange, Approval pending, Person requester,
                                             String digest, Duration wait) {
        Duration untilExpiry = Duration.between(approvals.clock().instant(), pending.expiresAt());
        Duration max = wait.compareTo(untilExpiry) < 0 ? wait : untilExpiry;
        return approvals.awaitDecision(pending.id(), max.isNegative() ? Duration.ZERO : max).thenCompose(decided -> {
            if (decided == null) {
                return done(held(pending, wait));
            }
            return approvals.use(pending.id(), requester, endpointId, digest, exchange.requestId())
                    .thenApply(result -> result.granted() ? release(exchange, pending.id())
                            : result.verdict() == UseResult.Verdict.PENDING ? held(result.approval(), wait)
                            : refused(result, pending.id()));
        });
    }

    private static Outcome release(GatewayExchange exchange, String id) {
        // Only here: the approval guard (and the exchange's record) read it as "let through by this approval".
        exchange.attributes().put(StandardAttributes.APPROVAL_ID, id);
        LOG.info("request {} released by approval {}", exchange.requestId(), id);
        return Outcome.proceed();
    }

    private Requirement requirement(GatewayExchange exchange) {
        ApprovalRequirement policy = exchange.attributes().get(StandardAttributes.APPROVAL_REQUIRED).orElse(null);
        if (policy != null) {
            return new Requirement(policy.rule(), policy.approverGroups().isEmpty() ? config.approvers()
                    : policy.approverGroups(), policy.ttl() == null ? config.pendingTtl() : policy.ttl(),
                    policy.quota());
        }
        String why = config.when().matches(exchange.operation());
        if (why == null && condition != null) {
            why = condition.matches(exchange);
        }
        return why == null ? null : new Requirement(rule("when", why), config.approvers(), config.pendingTtl(),
                null);
    }

    private ApprovalRequest request(GatewayExchange exchange, Person requester, Requirement need, String digest,
                                    String reason) {
        GatewayRequest r = exchange.request();
        Operation op = exchange.operation();
        QuotaEscalation quota = need.quota();
        if (quota != null) {
            // A grant of more of the quota: up to maxExtra uses (requests, or tokens charged after each answer)
            // for up to maxFor; the approver may grant less (gatehouse approvals approve --grant N --for T).
            return new ApprovalRequest(endpointId, exchange.requestId(), requester, op.kind().configName(), op.model(),
                    op.batch(), r.method(), r.path(), digest, "more " + quota.unit() + " beyond " + quota.limit()
                    + " (up to " + quota.maxExtra() + " for " + Durations.format(quota.maxFor()) + "), "
                    + summary(op, r), reason, need.rule(), need.groups(), config.approvalsNeeded(),
                    config.requireMfa() == null ? null : config.requireMfa().rule(),
                    (int) Math.min(Integer.MAX_VALUE, quota.maxExtra()), need.ttl(), quota.maxFor());
        }
        return new ApprovalRequest(endpointId, exchange.requestId(), requester, op.kind().configName(), op.model(),
                op.batch(), r.method(), r.path(), digest, summary(op, r), reason, need.rule(), need.groups(),
                config.approvalsNeeded(), config.requireMfa() == null ? null : config.requireMfa().rule(),
                config.maxUses(), need.ttl(), config.grantTtl());
    }

    /** One line for approvers, from what the adapter parsed: never body content. */
    String summary(Operation op, GatewayRequest r) {
        StringBuilder s = new StringBuilder(op.kind().configName());
        if (op.model() != null) {
            s.append(", model ").append(op.model());
        }
        if (op.batch() > 1) {
            s.append(", ").append(NumberFormat.getIntegerInstance(Locale.US).format(op.batch())).append(" inputs");
        }
        s.append(", ").append(r.method()).append(' ').append(r.path()).append(" on ").append(endpointId);
        return s.toString();
    }

    // ---- answers ----

    /** 202: held, with where to look and how to come back. */
    static Outcome held(Approval a, Duration waited) {
        ObjectNode body = JSON.createObjectNode();
        String location = "/admin/approvals/" + a.id();
        body.put("id", a.id()).put("object", "gatehouse.approval").put("status", "pending")
                .put("summary", a.summary());
        ArrayNode approvers = body.putArray("approvers");
        new TreeSet<>(a.approverGroups()).forEach(approvers::add);
        body.put("approvalsNeeded", a.approvalsNeeded()).put("approvals", a.approvals())
                .put("expiresAt", a.expiresAt().toString()).put("reason", a.reason()).put("location", location)
                .put("retry", "once approved, send the same request again with the header " + APPROVAL_HEADER + ": "
                        + a.id() + "; or add Prefer: wait=<seconds> to wait for the decision");
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Location", location);
        headers.put(APPROVAL_HEADER, a.id());
        if (waited != null) {
            headers.put("Preference-Applied", "wait=" + waited.toSeconds());
        }
        return new Outcome.Respond(202, "application/json", body.toString().getBytes(StandardCharsets.UTF_8),
                headers);
    }

    /** 403 naming what is wrong with the approval id. */
    static Outcome refused(UseResult result, String id) {
        Approval a = result.approval();
        return switch (result.verdict()) {
            case UNKNOWN -> deny403("Unknown approval", "approval '" + id + "' does not exist; send the request"
                    + " without " + APPROVAL_HEADER + " to ask for one", "unknown-approval");
            case FOREIGN -> deny403("Foreign approval", "approval " + id + " was asked for by someone else; only its"
                    + " requester can use it", "foreign-approval");
            case DIFFERENT -> deny403("Approval does not match", "request differs from the approved one: approval "
                    + id + " was given for " + a.method() + " " + a.path() + " on " + a.endpointId() + " with this"
                    + " exact body; send that request, or ask for a new approval", "request-differs");
            case EXPIRED -> deny403("Approval expired", "approval " + id + " expired at " + a.expiry() + "; send the"
                    + " request without " + APPROVAL_HEADER + " to ask again", "approval-expired");
            case DENIED -> {
                Vote denial = a.denial();
                yield deny403("Approval denied", "approval " + id + " was denied" + (denial == null ? ""
                        : " by " + denial.username() + ": " + denial.reason()), "approval-denied");
            }
            case CANCELLED -> deny403("Approval cancelled", "approval " + id + " was cancelled by its requester",
                    "approval-cancelled");
            case USED -> deny403("Approval used", "approval " + id + " has already been used (" + a.uses() + " of "
                    + a.maxUses() + "); send the request without " + APPROVAL_HEADER + " to ask again",
                    "approval-used");
            case PENDING, GRANTED -> throw new IllegalStateException("not a refusal: " + result.verdict());
        };
    }

    private static Outcome deny403(String title, String detail, String ruleName) {
        return Outcome.deny(403, title, detail, rule(ruleName, detail));
    }

    /** 503 when the store cannot say: never forward unapproved. Other failures stay failures (500). */
    private static Outcome storeDown(Throwable error) {
        Throwable t = error;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (!(t instanceof ServiceUnavailableException)) {
            throw error instanceof CompletionException c ? c : new CompletionException(error);
        }
        LOG.error("approval store unavailable; request not forwarded: {}", t.getMessage());
        return Outcome.deny(503, "Approvals unavailable", "the approval store cannot be reached, so this request was"
                        + " not forwarded; retry later", rule("store-unavailable", "the approval store is unavailable"))
                .withHeader("Retry-After", "2");
    }

    private static DecidingRule rule(String name, String reason) {
        return new DecidingRule(ApprovalProcessorFactory.ID, name, reason);
    }

    private static CompletableFuture<Outcome> done(Outcome outcome) {
        return CompletableFuture.completedFuture(outcome);
    }

    /** {@code Prefer: wait=N} (RFC 7240), at most {@code maxWait}; zero when absent. */
    private Duration preferredWait(Headers headers) {
        for (String value : headers.all(PREFER_HEADER)) {
            Matcher m = WAIT.matcher(value);
            if (m.find()) {
                Duration asked = Duration.ofSeconds(Long.parseLong(m.group(1)));
                return asked.compareTo(config.maxWait()) > 0 ? config.maxWait() : asked;
            }
        }
        return Duration.ZERO;
    }

    static String cleanReason(String raw) {
        String s = raw.strip().replaceAll("\\p{Cntrl}", " ");
        return s.length() <= MAX_REASON ? s : s.substring(0, MAX_REASON);
    }

    @Override
    public String toString() {
        return "approval[approvers=" + new TreeSet<>(config.approvers()) + ", approvalsNeeded="
                + config.approvalsNeeded() + ", when=" + config.when() + "]";
    }
}
