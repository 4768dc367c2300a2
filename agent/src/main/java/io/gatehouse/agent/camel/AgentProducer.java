package io.gatehouse.agent.camel;

import com.google.protobuf.ByteString;
import io.gatehouse.agent.AgentCalls;
import io.gatehouse.agent.HeaderRules;
import io.gatehouse.agent.proto.CallerIdentity;
import io.gatehouse.agent.proto.Decision;
import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.Header;
import io.gatehouse.engine.ExchangeTrace;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayRequest;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.StandardAttributes;
import java.time.Instant;
import java.util.TreeSet;
import java.util.concurrent.Executor;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultAsyncProducer;

/**
 * Sends the route's gateway exchange ({@link AgentExchanges#exchange}) to the agent and completes as
 * soon as the response head arrives, with an {@link AgentReply} ({@link AgentExchanges#reply}).
 * When no head arrives the exchange gets an {@link AgentCallException}. Never blocks.
 *
 * <p>When the exchange lives on a Netty event loop ({@link PipelineExchange#home()}), the call goes
 * over that loop's own connection to the agent, and its callbacks run on that loop: the request
 * stays on one thread from the listener to the agent and back.
 */
public class AgentProducer extends DefaultAsyncProducer {

    private final AgentEndpoint endpoint;

    AgentProducer(AgentEndpoint endpoint) {
        super(endpoint);
        this.endpoint = endpoint;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        GatewayExchange gateway = AgentExchanges.exchange(exchange, GatewayExchange.class);
        if (gateway == null) {
            exchange.setException(new IllegalStateException("the route carries no gateway exchange: agent:"
                    + endpoint.getAgentName() + " forwards one (AgentExchanges.attach)"));
            callback.done(true);
            return true;
        }
        AgentCalls client = endpoint.getComponent().agent(endpoint.getAgentName());
        if (client == null) {
            exchange.setException(new AgentCallException(AgentCallException.Kind.UNAVAILABLE,
                    "agent '" + endpoint.getAgentName() + "' is not registered"));
            callback.done(true);
            return true;
        }
        ExchangeTrace trace = gateway instanceof PipelineExchange traced ? traced.trace() : null;
        ExchangeTrace.AgentCallTrace call = trace == null ? null
                : trace.agentCall(endpoint.getAgentName(), endpoint.getService());
        ForwardRequest request = toRequest(gateway, endpoint.getService(), endpoint.getStripPrefix(), call);
        Instant deadline = gateway.attributes().get(StandardAttributes.DEADLINE).orElse(null);
        ResponseStream responses = new ResponseStream(exchange, callback, endpoint.getAgentName(), client.target());
        Executor home = gateway instanceof PipelineExchange px ? px.home() : null;
        try {
            client.forward(request, deadline, responses, home);
        } catch (RuntimeException e) {
            return responses.failedToStart(e);
        }
        return false;
    }

    /** The Forward request for a gateway exchange; the caller's credentials and internal headers stay behind. */
    static ForwardRequest toRequest(GatewayExchange gateway, String service) {
        return toRequest(gateway, service, null);
    }

    /** @param stripPrefix the endpoint's path prefix to remove (segment-exact), or null to send the path as it is */
    static ForwardRequest toRequest(GatewayExchange gateway, String service, String stripPrefix) {
        return toRequest(gateway, service, stripPrefix, null);
    }

    /**
     * @param call the traced agent call, whose context replaces the caller's {@code traceparent}/{@code tracestate};
     *             null when tracing is off: then the caller's trace headers pass like any other header
     */
    static ForwardRequest toRequest(GatewayExchange gateway, String service, String stripPrefix,
                                    ExchangeTrace.AgentCallTrace call) {
        GatewayRequest request = gateway.request();
        String requestPath = stripped(request.path(), stripPrefix);
        String path = request.query().isEmpty() ? requestPath : requestPath + "?" + request.query();
        ForwardRequest.Builder builder = ForwardRequest.newBuilder()
                .setRequestId(gateway.requestId())
                .setService(service)
                .setMethod(request.method())
                .setPath(path)
                .setBody(ByteString.copyFrom(request.body()));
        java.util.Set<String> traceFields = call == null ? java.util.Set.of() : call.fields();
        request.headers().toMap().forEach((name, values) -> {
            if (!HeaderRules.isStrippedFromRequest(name)
                    && (call == null || !traceFields.contains(name.toLowerCase(java.util.Locale.ROOT)))) {
                values.forEach(v -> builder.addHeaders(Header.newBuilder().setName(name).setValue(v)));
            }
        });
        if (call != null) {
            call.inject((name, value) -> builder.addHeaders(Header.newBuilder().setName(name).setValue(value)));
        }
        gateway.identity().ifPresent(id -> builder.setIdentity(identity(id)));
        gateway.attributes().get(StandardAttributes.IDENTITY_TOKEN).ifPresent(builder::setIdentityToken);
        DecidingRule rule = gateway.attributes().get(StandardAttributes.POLICY_DECISION).orElse(null);
        String approval = gateway.attributes().get(StandardAttributes.APPROVAL_ID).orElse(null);
        if (rule != null || approval != null) {
            Decision.Builder decision = Decision.newBuilder();
            if (rule != null) {
                decision.setPolicy(rule.policy()).setRule(rule.rule());
            }
            if (approval != null) {
                decision.setApprovalId(approval);
            }
            builder.setDecision(decision);
        }
        return builder.build();
    }

    /** {@code /ollama/api/chat} without {@code /ollama} is {@code /api/chat}; {@code /ollama} alone is {@code /}. */
    public static String stripped(String path, String prefix) {
        if (prefix == null || !path.startsWith(prefix)) {
            return path;
        }
        String rest = path.substring(prefix.length());
        if (rest.isEmpty()) {
            return "/";
        }
        return rest.charAt(0) == '/' ? rest : path; // segment-exact: /ollamax is not under /ollama
    }

    private static CallerIdentity identity(Identity id) {
        return CallerIdentity.newBuilder()
                .setSubject(nonNull(id.subject()))
                .setUsername(nonNull(id.username()))
                .setIssuer(nonNull(id.issuer()))
                .addAllGroups(new TreeSet<>(id.groups()))
                .setClientId(nonNull(id.clientId()))
                .build();
    }

    private static String nonNull(String s) {
        return s == null ? "" : s;
    }
}
