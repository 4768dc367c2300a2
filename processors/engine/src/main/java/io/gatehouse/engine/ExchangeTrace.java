package io.gatehouse.engine;

import io.gatehouse.spi.Completion;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * What a tracer learns of one exchange: each step's request phase, the call to the agent and the end.
 * The engine stays JDK + SPI; the gateway supplies the OpenTelemetry implementation (docs/tracing.md).
 *
 * <p>An exchange without a trace carries null ({@link PipelineExchange#trace()}): when tracing is off the
 * engine's only cost is that null check, so nothing is allocated per request. Implementations are called
 * on the exchange's thread and must not block (spans are exported by a background processor).
 */
public interface ExchangeTrace {

    /**
     * A step's request phase begins ({@link StepCalls#request}).
     *
     * @return the handle its end is reported to; never null
     */
    StepTrace stepStarted(PipelineExchange exchange, Step step);

    /**
     * The gateway is about to call the agent; the returned handle writes the trace context the agent
     * continues from. Ends with the exchange.
     */
    AgentCallTrace agentCall(String agent, String service);

    /** The exchange completed (called once, after the steps' {@code onComplete}). */
    void completed(PipelineExchange exchange, Completion completion);

    /** One step's request phase. */
    interface StepTrace {
        /** The step's request phase ended with this result (its attributes, e.g. the policy decision, are set). */
        void ended(PipelineExchange exchange, StepResult result);
    }

    /** The call to the agent. */
    interface AgentCallTrace {

        /** The lower-case header names this call's context is written to ({@code traceparent}, {@code tracestate} …). */
        Set<String> fields();

        /** Writes this call's context as headers: the agent's span becomes its child. */
        void inject(BiConsumer<String, String> header);
    }
}
