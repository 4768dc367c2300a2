package io.gatehouse.agent.camel;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.Header;
import io.gatehouse.engine.ExchangeTrace;
import io.gatehouse.engine.PipelineExchange;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/** The trace context a Forward carries to the agent. */
class AgentProducerTraceTest {

    private static final String CLIENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private static List<String> values(ForwardRequest request, String name) {
        return request.getHeadersList().stream().filter(h -> h.getName().equalsIgnoreCase(name))
                .map(Header::getValue).toList();
    }

    @Test
    void withTracingOffTheCallersTraceHeadersPassUnchangedAndNoneIsInvented() {
        PipelineExchange traced = ForwardedExchange.of("t-1", "POST", "/v1/chat/completions", "");
        traced.request().headers().add("traceparent", CLIENT).add("tracestate", "vendor=1");
        PipelineExchange plain = ForwardedExchange.of("t-2", "POST", "/v1/chat/completions", "");

        assertThat(traced.trace()).isNull();
        ForwardRequest passed = AgentProducer.toRequest(traced, "echo", null);
        assertThat(values(passed, "traceparent")).containsExactly(CLIENT);
        assertThat(values(passed, "tracestate")).containsExactly("vendor=1");
        ForwardRequest none = AgentProducer.toRequest(plain, "echo", null);
        assertThat(values(none, "traceparent")).isEmpty();
        assertThat(values(none, "tracestate")).isEmpty();
    }

    @Test
    void withTracingOnTheAgentCallsContextReplacesTheCallers() {
        PipelineExchange gateway = ForwardedExchange.of("t-3", "POST", "/v1/chat/completions", "");
        gateway.request().headers().add("Traceparent", CLIENT).add("tracestate", "vendor=1").add("X-Kept", "yes");
        ExchangeTrace.AgentCallTrace call = new ExchangeTrace.AgentCallTrace() {
            @Override
            public Set<String> fields() {
                return Set.of("traceparent", "tracestate");
            }

            @Override
            public void inject(BiConsumer<String, String> header) {
                header.accept("traceparent", "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01");
            }
        };

        ForwardRequest request = AgentProducer.toRequest(gateway, "echo", null, call);

        assertThat(values(request, "traceparent"))
                .containsExactly("00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01");
        assertThat(values(request, "tracestate")).isEmpty();
        assertThat(values(request, "X-Kept")).containsExactly("yes");
    }
}
