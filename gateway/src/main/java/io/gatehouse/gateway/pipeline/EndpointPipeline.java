package io.gatehouse.gateway.pipeline;

import io.gatehouse.config.EndpointConfig;
import io.gatehouse.engine.Step;
import io.gatehouse.gateway.protocol.ProtocolAdapter;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.camel.AsyncProcessor;

/**
 * One endpoint as one config version built it: its adapter, its created steps in pipeline order, how it
 * answers, and its way to the agent. Immutable; a reload builds a new one and swaps it into the endpoint's
 * {@link EndpointSlot}. An exchange captures the pipeline once, when it opens, and every node of its route
 * reads that capture — so a request or stream in flight finishes on the pipeline it started with while
 * the next request takes the new one.
 *
 * @param endpoint the endpoint's config
 * @param version  the config version (content digest) this pipeline was built from
 * @param adapter  the protocol adapter
 * @param steps    the created steps, in pipeline order
 * @param answers  how the endpoint answers on its own
 * @param agent    the call to the agent (for gRPC endpoints: the re-encoding forward)
 * @param inFlight exchanges opened on this pipeline and not completed yet
 * @param closing  the gateway is shutting down: new exchanges are refused (503), recorded
 */
public record EndpointPipeline(EndpointConfig endpoint, String version, ProtocolAdapter adapter, List<Step> steps,
                               EndpointAnswers answers, AsyncProcessor agent, AtomicLong inFlight, boolean closing) {

    public EndpointPipeline {
        steps = List.copyOf(steps);
    }

    public EndpointPipeline(EndpointConfig endpoint, String version, ProtocolAdapter adapter, List<Step> steps,
                            EndpointAnswers answers, AsyncProcessor agent) {
        this(endpoint, version, adapter, steps, answers, agent, new AtomicLong(), false);
    }

    /** The same pipeline refusing new exchanges (a drain); it counts in-flight exchanges with this one. */
    public EndpointPipeline refusingNew() {
        return new EndpointPipeline(endpoint, version, adapter, steps, answers, agent, inFlight, true);
    }

    /** The refusal of an exchange opened while the gateway shuts down. */
    public static io.gatehouse.spi.Outcome.Deny shuttingDown() {
        return io.gatehouse.spi.Outcome.deny(503, "Shutting down", "this gateway replica is shutting down and takes"
                        + " no new requests; retry (another replica answers)",
                new io.gatehouse.spi.DecidingRule("gateway", "shutting-down", "the gateway is draining"));
    }

    public String id() {
        return endpoint.id();
    }

    /** Exchanges opened on this pipeline and not yet completed. */
    public long inFlightCount() {
        return inFlight.get();
    }

    @Override
    public String toString() {
        return "endpoint '" + id() + "' @ " + version;
    }
}
