package io.gatehouse.gateway.pipeline;

import io.gatehouse.gateway.http.HttpAnswers;
import io.gatehouse.gateway.http.Problem;
import io.gatehouse.spi.ApprovalRequirement;
import io.gatehouse.spi.Completion;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.StandardAttributes;
import java.util.Map;
import java.util.Optional;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * The last node before the agent: a request that a policy marked as needing approval goes on only
 * with an approval bound to it. If no approval step acted on it (none configured, or placed before
 * the policy), it is denied — a required approval never degrades to "allowed".
 */
public final class ApprovalGuard implements Processor {

    private final boolean openAiErrors;

    public ApprovalGuard(boolean openAiErrors) {
        this.openAiErrors = openAiErrors;
    }

    @Override
    public void process(Exchange exchange) {
        PipelineExchange px = exchange.getProperty(PipelineExchange.PROPERTY, PipelineExchange.class);
        Optional<ApprovalRequirement> required = px.attributes().get(StandardAttributes.APPROVAL_REQUIRED);
        if (required.isEmpty() || px.attributes().get(StandardAttributes.APPROVAL_ID).isPresent()) {
            return;
        }
        DecidingRule asked = required.get().rule();
        String detail = "policy '" + asked.policy() + "' rule '" + asked.rule() + "' requires an approval for this "
                + "request, but endpoint '" + px.endpointId() + "' has no approval step after it; ask the "
                + "gateway's operators to add one";
        Problem problem = new Problem(403, "Approval required", detail,
                new DecidingRule(asked.policy(), asked.rule(), asked.reason()), Map.of());
        HttpAnswers.problem(exchange, problem, px.requestId(), px.request().path(), openAiErrors);
        exchange.setRouteStop(true);
        px.complete(Completion.Kind.DENIED, 403, problem.asDenial(), null);
    }
}
