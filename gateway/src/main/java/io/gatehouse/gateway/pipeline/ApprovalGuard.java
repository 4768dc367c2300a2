package io.gatehouse.gateway.pipeline;

import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.ApprovalRequirement;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.StandardAttributes;
import java.util.Optional;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * The last node before the agent: a request that a policy marked as needing approval goes on only
 * with an approval bound to it. If no approval step acted on it (none configured, or placed before
 * the policy), it is denied — a required approval never degrades to "allowed".
 */
public final class ApprovalGuard implements Processor {

    private final EndpointAnswers answers;

    public ApprovalGuard(EndpointAnswers answers) {
        this.answers = answers;
    }

    @Override
    public void process(Exchange exchange) {
        PipelineExchange px = RouteExchanges.pipeline(exchange);
        Optional<ApprovalRequirement> required = px.attributes().get(StandardAttributes.APPROVAL_REQUIRED);
        if (required.isEmpty() || px.attributes().get(StandardAttributes.APPROVAL_ID).isPresent()) {
            return;
        }
        DecidingRule asked = required.get().rule();
        String detail = "policy '" + asked.policy() + "' rule '" + asked.rule() + "' requires an approval for this "
                + "request, but endpoint '" + px.endpointId() + "' has no approval step after it; ask the "
                + "gateway's operators to add one";
        answers(exchange).deny(exchange, px, Outcome.deny(403, "Approval required", detail,
                new DecidingRule(asked.policy(), asked.rule(), asked.reason())));
    }

    /** The answers of the pipeline the exchange opened on (a reload may have changed the endpoint's protocol). */
    private EndpointAnswers answers(Exchange exchange) {
        return RouteExchanges.answers(exchange, answers);
    }
}
