package io.gatehouse.gateway.grpc;

import io.gatehouse.agent.camel.AgentComponent;
import io.gatehouse.config.Http2Limits;
import io.gatehouse.config.ListenerConfig;
import io.gatehouse.kserve.grpc.GRPCInferenceServiceGrpc;
import java.util.List;
import org.apache.camel.CamelContext;
import org.apache.camel.Processor;
import org.apache.camel.component.grpc.GrpcComponent;
import org.apache.camel.component.grpc.GrpcConfiguration;
import org.apache.camel.component.grpc.GrpcConsumerStrategy;
import org.apache.camel.component.grpc.GrpcEndpoint;

/**
 * Sets up the camel-grpc consumer of a gRPC listener. The route, not camel-grpc, answers every call
 * ({@code DELEGATION} with a route-controlled observer), so the gateway sends real status codes (camel-grpc
 * would turn every failure into INTERNAL) and streams answers as they come. Messages over the listener's
 * {@code maxBodyBytes} are refused by gRPC with RESOURCE_EXHAUSTED before they are read whole; metadata
 * over {@code maxHeaderBytes} is refused too.
 */
public final class GrpcListeners {

    /** For a gRPC endpoint's route: keeps the model's gRPC status of a failure and notes a cancelled client. */
    public static final Processor NOTE_FAILURE = GrpcReplies.NOTE_FAILURE;

    private GrpcListeners() {
    }

    public static GrpcEndpoint endpoint(CamelContext camel, ListenerConfig listener) {
        // The URI names the generated classes' Java package and service; the wire name stays inference.*.
        String service = GRPCInferenceServiceGrpc.class.getPackageName() + "." + "GRPCInferenceService";
        String uri = "grpc://" + listener.host() + ":" + listener.port() + "/" + service
                + "?consumerStrategy=DELEGATION&routeControlledStreamObserver=true&autoDiscoverServerInterceptors=false";
        GrpcEndpoint parsed = camel.getEndpoint(uri, GrpcEndpoint.class);
        GrpcConfiguration configuration = parsed.getConfiguration();
        AgentComponent agents = camel.getComponent(AgentComponent.SCHEME, AgentComponent.class);
        GrpcEndpoint endpoint = agents == null ? parsed : new EventLoopGrpcEndpoint(uri,
                (GrpcComponent) parsed.getComponent(), configuration, agents.callerLoopGroup());
        configuration.setConsumerStrategy(GrpcConsumerStrategy.DELEGATION);
        configuration.setMaxMessageSize((int) Math.min(Integer.MAX_VALUE, listener.maxBodyBytes().bytes()));
        configuration.setMaxInboundMetadataSize((int) Math.min(Integer.MAX_VALUE, listener.maxHeaderBytes().bytes()));
        configuration.setServerInterceptors(List.of(new GrpcCallInterceptor()));
        // HTTP/2 abuse: streams per connection, rapid reset (CVE-2023-44487), ping floods, idle connections.
        // Metadata (CONTINUATION floods included) is capped above; Netty ends a connection whose flow-control
        // window overflows or whose frames break the protocol.
        Http2Limits http2 = listener.http2();
        configuration.setMaxConcurrentCallsPerConnection(http2.maxConcurrentStreams());
        configuration.setMaxRstFramesPerWindow(http2.maxResetStreams());
        configuration.setMaxRstPeriodSeconds((int) http2.resetWindow().toSeconds());
        configuration.setPermitKeepAliveTime(http2.permitKeepAliveTime().toMillis());
        configuration.setPermitKeepAliveWithoutCalls(false);
        configuration.setMaxConnectionIdle(http2.maxConnectionIdle().toMillis());
        return endpoint;
    }
}
