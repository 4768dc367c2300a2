package io.gatehouse.processors.policy;

import io.gatehouse.processors.recording.RecordingProcessor;
import io.gatehouse.spi.AttributeKey;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.ServiceUnavailableException;
import io.gatehouse.spi.approval.Person;
import io.gatehouse.spi.breakglass.BreakGlassService;
import io.gatehouse.spi.breakglass.BreakGlassSettings;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Breaking glass past a {@code deny} or {@code require-approval} rule marked {@code breakGlass: true}: only
 * with a justification ({@code Gatehouse-Break-Glass} header) and only while the caller has a window open
 * ({@code gatehouse break-glass open}, which only members of {@code breakGlass.groups} can do). The use is
 * recorded (durably, announced at once, queued for review) before the request goes on, and the exchange's
 * record names it as its decision ({@code break-glass}, the rule bypassed, the justification).
 */
final class BreakGlass {

    /** The id of the break-glass use that let an exchange through. */
    static final AttributeKey<String> USE = AttributeKey.of("policy.break-glass-use", String.class);

    private static final Logger LOG = LoggerFactory.getLogger(BreakGlass.class);

    private BreakGlass() {
    }

    /**
     * The outcome when the request asks to break glass past the deciding rule; null when it does not (or the
     * rule cannot be bypassed), so that the decision stands.
     */
    static CompletionStage<Outcome> tryBypass(BreakGlassService service, PolicySet policies, Decision decision,
                                             GatewayExchange exchange, Identity identity) {
        String justification = exchange.request().headers().first(BreakGlassSettings.HEADER).map(String::strip)
                .orElse(null);
        exchange.request().headers().remove(BreakGlassSettings.HEADER);   // never reaches the model
        if (justification == null || identity == null || service == null) {
            return null;
        }
        DecidingRule decided = decision.rule();
        CompiledRule rule = policies.rule(decided.policy(), decided.rule());
        if (rule == null || rule.effect == Effect.ALLOW || !Boolean.TRUE.equals(rule.config.breakGlass())) {
            return null;
        }
        if (justification.isEmpty()) {
            return done(Outcome.deny(400, "Justification required", "breaking glass past policy '" + decided.policy()
                    + "' rule '" + decided.rule() + "' needs a justification in the header " + BreakGlassSettings.HEADER,
                    new DecidingRule("break-glass", "justification-required", "empty " + BreakGlassSettings.HEADER)));
        }
        Person who = Person.of(identity);
        return service.openWindow(who).thenCompose(window -> {
            if (window.isEmpty()) {
                return done(Outcome.deny(403, "No break-glass window", who.username() + " has no open break-glass"
                        + " window: open one with 'gatehouse break-glass open --reason ...' (members of "
                        + "breakGlass.groups only), then retry; without it, " + PolicyProcessor.forbiddenBy(decided)
                        .detail(), new DecidingRule("break-glass", "no-window", "no open window")));
            }
            return service.recordUse(window.get(), who, exchange.requestId(), exchange.endpointId(), decided,
                    justification).thenApply(use -> {
                        exchange.attributes().put(USE, use.id());
                        exchange.attributes().put(RecordingProcessor.POLICY_DECISION, new DecidingRule("break-glass",
                                decided.policy() + "/" + decided.rule(), "bypassed by " + who.username() + " in window "
                                + window.get().id() + " (use " + use.id() + "): " + use.justification()));
                        LOG.warn("request {} of {} broke glass past {}/{} (use {})", exchange.requestId(),
                                who.username(), decided.policy(), decided.rule(), use.id());
                        return Outcome.proceed();
                    });
        }).exceptionally(error -> {
            LOG.warn("break-glass of request {} could not be recorded: {}", exchange.requestId(), error.toString());
            return Outcome.deny(503, "Break-glass unavailable", "the break-glass use could not be recorded, so the"
                    + " request was refused (fail closed); retry later", new DecidingRule("break-glass",
                    "store-unavailable", ServiceUnavailableException.find(error) != null
                    ? "the store cannot be reached" : "recording failed"));
        });
    }

    private static CompletionStage<Outcome> done(Outcome outcome) {
        return CompletableFuture.completedFuture(outcome);
    }
}
