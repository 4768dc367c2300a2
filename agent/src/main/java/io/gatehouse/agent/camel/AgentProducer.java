package io.gatehouse.agent.camel;

import com.google.protobuf.ByteString;
import io.gatehouse.agent.AgentClient;
import io.gatehouse.agent.HeaderRules;
import io.gatehouse.agent.proto.CallerIdentity;
import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.Header;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayRequest;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.StandardAttributes;
import java.time.Instant;
import java.util.TreeSet;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultAsyncProducer;

/**
 * Sends the exchange's {@link GatewayExchange} to the agent and completes as soon as the response
 * head arrives. The message then carries:
 * <ul>
 *   <li>header {@value #STATUS} ({@code CamelHttpResponseCode}): the model server's status, Integer;</li>
 *   <li>header {@value #RESPONSE_HEADERS}: its headers without hop-by-hop ones, {@code Map<String, List<String>>};</li>
 *   <li>header {@value #STREAMED}: Boolean, true for SSE/NDJSON or a body without Content-Length;</li>
 *   <li>body: a {@code Flow.Publisher<byte[]>} of the body's chunks as the model produces them, for one
 *       subscriber; cancelling it cancels the call. Whoever takes the message must subscribe and read
 *       it to the end, or cancel it, or the call stays open until its deadline.</li>
 * </ul>
 * When no head arrives the exchange gets an {@link AgentCallException}. Never blocks.
 */
public class AgentProducer extends DefaultAsyncProducer {

    /** Exchange property holding the {@link GatewayExchange}. */
    public static final String EXCHANGE_PROPERTY = "Gatehouse.Exchange";
    public static final String STATUS = Exchange.HTTP_RESPONSE_CODE;
    public static final String RESPONSE_HEADERS = "Gatehouse.ResponseHeaders";
    public static final String STREAMED = "Gatehouse.Streamed";

    private final AgentEndpoint endpoint;

    AgentProducer(AgentEndpoint endpoint) {
        super(endpoint);
        this.endpoint = endpoint;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        GatewayExchange gateway = exchange.getProperty(EXCHANGE_PROPERTY, GatewayExchange.class);
        if (gateway == null) {
            exchange.setException(new IllegalStateException("exchange property '" + EXCHANGE_PROPERTY
                    + "' is missing: agent:" + endpoint.getAgentName() + " forwards a gateway exchange"));
            callback.done(true);
            return true;
        }
        AgentClient client = endpoint.getComponent().agent(endpoint.getAgentName());
        if (client == null) {
            exchange.setException(new AgentCallException(AgentCallException.Kind.UNAVAILABLE,
                    "agent '" + endpoint.getAgentName() + "' is not registered"));
            callback.done(true);
            return true;
        }
        ForwardRequest request = toRequest(gateway, endpoint.getService());
        Instant deadline = gateway.attributes().get(StandardAttributes.DEADLINE).orElse(null);
        ResponseStream responses = new ResponseStream(exchange, callback, endpoint.getAgentName(), client.target());
        try {
            client.forward(request, deadline, responses);
        } catch (RuntimeException e) {
            return responses.failedToStart(e);
        }
        return false;
    }

    /** The Forward request for a gateway exchange; the caller's credentials and internal headers stay behind. */
    static ForwardRequest toRequest(GatewayExchange gateway, String service) {
        GatewayRequest request = gateway.request();
        String path = request.query().isEmpty() ? request.path() : request.path() + "?" + request.query();
        ForwardRequest.Builder builder = ForwardRequest.newBuilder()
                .setRequestId(gateway.requestId())
                .setService(service)
                .setMethod(request.method())
                .setPath(path)
                .setBody(ByteString.copyFrom(request.body()));
        request.headers().toMap().forEach((name, values) -> {
            if (!HeaderRules.isStrippedFromRequest(name)) {
                values.forEach(v -> builder.addHeaders(Header.newBuilder().setName(name).setValue(v)));
            }
        });
        gateway.identity().ifPresent(id -> builder.setIdentity(identity(id)));
        gateway.attributes().get(StandardAttributes.IDENTITY_TOKEN).ifPresent(builder::setIdentityToken);
        return builder.build();
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
