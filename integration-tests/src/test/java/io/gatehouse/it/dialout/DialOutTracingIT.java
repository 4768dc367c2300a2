package io.gatehouse.it.dialout;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.agent.AgentServer;
import io.gatehouse.it.observability.ModelTap;
import io.gatehouse.it.observability.OtlpReceiver;
import io.gatehouse.it.observability.OtlpReceiver.Received;
import io.gatehouse.it.support.TempDirs;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tracing on in a dialling agent only (the gateway's config has no tracing block): the Forward reaches the agent
 * over the tunnel, the client's {@code traceparent} passes the gateway unchanged (it is an ordinary header when the
 * gateway does not trace), the agent continues that trace, and the model is sent the agent's model-call context.
 */
class DialOutTracingIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static DialOutStack stack;
    private static OtlpReceiver receiver;
    private static ModelTap tap;
    private static AgentServer agent;

    @BeforeAll
    static void start() throws Exception {
        System.setProperty("otel.bsp.schedule.delay", "100"); // export every 100 ms rather than 5 s
        stack = DialOutStack.start();
        receiver = new OtlpReceiver();
        tap = new ModelTap(stack.model.baseUri());
        Path key = TempDirs.write(stack.root.resolve("tracing-agent-key"), stack.modelKey);
        agent = stack.startAgentWith("traced", "tracing:\n  enabled: true\n  endpoint: " + receiver.endpoint()
                + "\n  serviceName: it-dialout-agent\n"
                + "services:\n  demo-model:\n    url: " + tap.baseUri() + "\n    credential:\n      secret: file:" + key + "\n");
        stack.awaitAttached(1);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
        if (tap != null) {
            tap.close();
        }
        if (receiver != null) {
            receiver.close();
        }
        System.clearProperty("otel.bsp.schedule.delay");
    }

    @Test
    void aDiallingAgentContinuesTheClientsTraceThatTheUntracedGatewayPassedOnUnchanged() throws Exception {
        String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        String clientSpan = "00f067aa0ba902b7";
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(stack.baseUrl() + "/chat/completions"))
                .header("Authorization", "Bearer " + stack.token("alice", "analysts"))
                .header("Content-Type", "application/json")
                .header("traceparent", "00-" + traceId + "-" + clientSpan + "-01")
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"hi\"}]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);

        List<Received> spans = receiver.await(all -> all.stream().filter(s -> s.traceId().equals(traceId)).count() >= 2,
                Duration.ofSeconds(20));
        List<Received> trace = spans.stream().filter(s -> s.traceId().equals(traceId)).toList();
        Received forward = trace.stream().filter(s -> s.kind() == SpanKind.SPAN_KIND_SERVER).findFirst().orElseThrow();
        Received modelCall = trace.stream().filter(s -> s.kind() == SpanKind.SPAN_KIND_CLIENT).findFirst().orElseThrow();
        assertThat(forward.service()).isEqualTo("it-dialout-agent");
        assertThat(forward.parentSpanId()).as("the gateway does not trace: the client's span is the parent")
                .isEqualTo(clientSpan);
        assertThat(forward.attribute("gatehouse.request_id"))
                .isEqualTo(answer.headers().firstValue("Gatehouse-Request-Id").orElseThrow());
        assertThat(modelCall.parentSpanId()).isEqualTo(forward.spanId());
        assertThat(tap.traceparents).contains("00-" + traceId + "-" + modelCall.spanId() + "-01");
        assertThat(spans).extracting(Received::service).containsOnly("it-dialout-agent");
    }
}
