package io.gatehouse.gateway.tracing;

import io.gatehouse.engine.ExchangeTrace;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.engine.Step;
import io.gatehouse.engine.StepResult;
import io.gatehouse.spi.Completion;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.StandardAttributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;

/**
 * One exchange's spans: the SERVER span (from the exchange's opening to its completion, so a stream's span
 * ends after its last chunk), an INTERNAL child per step's request phase, and a CLIENT child for the call to
 * the agent. Attributes are ids, names, counts and decisions: never a header value, a token or a body.
 */
final class OtelExchangeTrace implements ExchangeTrace {

    private static final TextMapGetter<Headers> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Headers carrier) {
            return carrier.names();
        }

        @Override
        public String get(Headers carrier, String key) {
            return carrier == null ? null : carrier.first(key).orElse(null);
        }
    };

    private final GatewayTracing tracing;
    private final Span exchange;
    private final Context context;
    private volatile Span agentCall;

    private OtelExchangeTrace(GatewayTracing tracing, Span exchange, Context context) {
        this.tracing = tracing;
        this.exchange = exchange;
        this.context = context;
    }

    static OtelExchangeTrace open(GatewayTracing tracing, String requestId, String endpointId, String name,
                                  Headers headers, Operation operation, UnaryOperator<SpanBuilder> protocol) {
        Context parent = tracing.tracing().propagator().extract(Context.root(), headers, HEADERS);
        SpanBuilder builder = tracing.tracing().tracer().spanBuilder(name).setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAttribute("gatehouse.request_id", requestId)
                .setAttribute("gatehouse.endpoint", endpointId)
                .setAttribute("gatehouse.operation", operation.kind().name().toLowerCase(Locale.ROOT));
        if (operation.model() != null) {
            builder.setAttribute("gatehouse.model", operation.model());
        }
        if (operation.stream()) {
            builder.setAttribute("gatehouse.stream", true);
        }
        Span span = protocol.apply(builder).startSpan();
        return new OtelExchangeTrace(tracing, span, parent.with(span));
    }

    @Override
    public StepTrace stepStarted(PipelineExchange px, Step step) {
        Span span = tracing.tracing().tracer().spanBuilder(step.stepId()).setParent(context)
                .setSpanKind(SpanKind.INTERNAL)
                .setAttribute("gatehouse.step", step.stepId())
                .setAttribute("gatehouse.phase", step.phase().name().toLowerCase(Locale.ROOT))
                .startSpan();
        // A step's span shows what that step did: the attributes it set, not those earlier steps left behind.
        Before before = new Before(px.attributes().get(StandardAttributes.POLICY_DECISION).isPresent(),
                px.attributes().get(StandardAttributes.APPROVAL_REQUIRED).isPresent(),
                px.attributes().get(StandardAttributes.APPROVAL_ID).isPresent(), masked(px));
        return (ex, result) -> endStep(span, ex, result, before);
    }

    /** What the exchange held when a step began. */
    private record Before(boolean decided, boolean approvalRequired, boolean approvalId, long masked) {
    }

    private static void endStep(Span span, PipelineExchange px, StepResult result, Before before) {
        boolean decidedBefore = before.decided();
        if (result instanceof StepResult.Denied denied) {
            span.setAttribute("gatehouse.decision", "denied");
            span.setAttribute("http.response.status_code", denied.denial().status());
            rule(span, denied.denial().rule());
        } else if (result instanceof StepResult.Responded responded) {
            span.setAttribute("gatehouse.decision", "responded");
            span.setAttribute("http.response.status_code", responded.answer().status());
        } else if (result instanceof StepResult.Broken) {
            // The message may quote what a processor threw; the trace says only that it broke.
            span.setStatus(StatusCode.ERROR, "the step broke the chain contract (see the gateway log)");
        } else if (!decidedBefore) {
            px.attributes().get(StandardAttributes.POLICY_DECISION).ifPresent(rule -> {
                span.setAttribute("gatehouse.decision", "allowed");
                rule(span, rule);
            });
        }
        if (!before.approvalId()) {
            px.attributes().get(StandardAttributes.APPROVAL_ID)
                    .ifPresent(id -> span.setAttribute("gatehouse.approval_id", id));
        }
        if (!before.approvalRequired() && px.attributes().get(StandardAttributes.APPROVAL_REQUIRED).isPresent()) {
            span.setAttribute("gatehouse.approval_required", true);
        }
        if (masked(px) != before.masked()) {
            counts(span, px);
        }
        span.end();
    }

    /** Values masked so far, all detectors together. */
    private static long masked(PipelineExchange px) {
        @SuppressWarnings("unchecked")
        Map<Object, Object> counts = px.attributes().get(StandardAttributes.MASKING_COUNTS).orElse(null);
        if (counts == null) {
            return 0;
        }
        long total = 0;
        for (Object n : copy(counts).values()) {
            total += n instanceof Number number ? number.longValue() : 0;
        }
        return total;
    }

    private static Map<Object, Object> copy(Map<Object, Object> counts) {
        synchronized (counts) {
            return Map.copyOf(counts);
        }
    }

    private static void rule(Span span, DecidingRule rule) {
        if (rule != null) {
            span.setAttribute("gatehouse.policy", String.valueOf(rule.policy()));
            span.setAttribute("gatehouse.rule", String.valueOf(rule.rule()));
        }
    }

    /** Values masked so far, per detector: {@code gatehouse.masking.count.<detector>}. */
    private static void counts(Span span, PipelineExchange px) {
        @SuppressWarnings("unchecked")
        Map<Object, Object> counts = px.attributes().get(StandardAttributes.MASKING_COUNTS).orElse(null);
        if (counts == null) {
            return;
        }
        copy(counts).forEach((detector, n) -> {
            if (n instanceof Number number) {
                span.setAttribute("gatehouse.masking.count." + detector, number.longValue());
            }
        });
    }

    @Override
    public AgentCallTrace agentCall(String agent, String service) {
        Span span = tracing.tracing().tracer().spanBuilder("gatehouse.agent.v1.Agent/Forward").setParent(context)
                .setSpanKind(SpanKind.CLIENT)
                .setAttribute("rpc.system", "grpc")
                .setAttribute("rpc.service", "gatehouse.agent.v1.Agent")
                .setAttribute("rpc.method", "Forward")
                .setAttribute("gatehouse.agent", agent)
                .setAttribute("gatehouse.service", service)
                .startSpan();
        Span previous = agentCall;
        agentCall = span;
        if (previous != null) {
            previous.end(); // a retried call: the earlier attempt is over
        }
        Context call = context.with(span);
        return new AgentCallTrace() {
            @Override
            public Set<String> fields() {
                return tracing.fields();
            }

            @Override
            public void inject(BiConsumer<String, String> header) {
                tracing.tracing().propagator().inject(call, header, BiConsumer::accept);
            }
        };
    }

    @Override
    public void completed(PipelineExchange px, Completion completion) {
        Span call = agentCall;
        if (call != null) {
            call.setAttribute("http.response.status_code", completion.status());
            if (completion.kind() == Completion.Kind.FAILED) {
                call.setStatus(StatusCode.ERROR);
            }
            call.end();
        }
        exchange.setAttribute("gatehouse.outcome", completion.kind().name().toLowerCase(Locale.ROOT));
        exchange.setAttribute("http.response.status_code", completion.status());
        if (completion.denial() != null) {
            exchange.setAttribute("gatehouse.decision", "denied");
            rule(exchange, completion.denial().rule());
        } else {
            px.attributes().get(StandardAttributes.POLICY_DECISION).ifPresent(rule -> {
                exchange.setAttribute("gatehouse.decision", "allowed");
                rule(exchange, rule);
            });
        }
        counts(exchange, px);
        if (completion.kind() == Completion.Kind.FAILED || completion.status() >= 500) {
            exchange.setStatus(StatusCode.ERROR);
        }
        exchange.end();
    }
}
