package io.gatehouse.agent.camel;

import io.gatehouse.engine.PipelineExchange;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.agent.AgentClient;
import io.gatehouse.agent.AgentFixture;
import io.gatehouse.agent.ClientTls;
import io.gatehouse.agent.LogCapture;
import io.gatehouse.agent.TinyModel;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.StandardAttributes;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.ResolveEndpointFailedException;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AgentProducerTest {

    private static LogCapture logs;
    private static AgentFixture fixture;
    private static AgentClient deadAgent;
    private static int deadPort;
    private static CamelContext camel;
    private static ProducerTemplate template;

    @BeforeAll
    static void start() throws Exception {
        logs = new LogCapture();
        fixture = AgentFixture.start();
        deadPort = AgentFixture.freePort();
        deadAgent = AgentClient.connect("127.0.0.1", deadPort, ClientTls.dev(fixture.dataDirectory));
        camel = new DefaultCamelContext();
        AgentComponent component = camel.getComponent("agent", AgentComponent.class);
        component.registerAgent("local", fixture.client);
        component.registerAgent("dead", deadAgent);
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:echo").to("agent:local?service=echo");
                from("direct:nope").to("agent:local?service=nope");
                from("direct:dead").to("agent:dead?service=echo");
            }
        });
        camel.start();
        template = camel.createProducerTemplate();
    }

    @AfterAll
    static void stop() throws Exception {
        camel.close();
        deadAgent.close();
        fixture.close();
        logs.close();
    }

    private static Exchange send(String endpoint, PipelineExchange gateway) {
        return template.send(endpoint, e -> AgentExchanges.attach(e, gateway));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, List<String>> responseHeaders(Exchange exchange) {
        Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.putAll(AgentExchanges.reply(exchange).headers());
        return headers;
    }

    @SuppressWarnings("unchecked")
    private static Flow.Publisher<byte[]> body(Exchange exchange) {
        return AgentExchanges.reply(exchange).body();
    }

    private static AgentCallException failure(Exchange exchange) {
        assertThat(exchange.getException()).isInstanceOf(AgentCallException.class);
        return (AgentCallException) exchange.getException();
    }

    @Test
    void aRouteEndingInTheAgentCompletesAtTheHeadAndStreamsTheSseBodyChunkByChunk() throws Exception {
        PipelineExchange gateway = ForwardedExchange.of("camel-sse", "POST", "/v1/sse", "id=camel-sse");
        gateway.request().headers().add("Authorization", "Bearer callers-own-token").add("Accept", "text/event-stream");

        Exchange result = send("direct:echo", gateway);
        long routeDone = System.nanoTime();

        assertThat(result.getException()).isNull();
        assertThat(AgentExchanges.reply(result).status()).isEqualTo(200);
        assertThat(AgentExchanges.reply(result).streamed()).isTrue();
        assertThat(responseHeaders(result).get("Content-Type")).containsExactly("text/event-stream");
        BodyCollector reader = new BodyCollector(true);
        body(result).subscribe(reader);
        reader.await();

        assertThat(reader.completed()).isTrue();
        assertThat(reader.chunks()).hasSizeGreaterThanOrEqualTo(3);
        assertThat(reader.text()).isEqualTo(
                "data: {\"n\":1}\n\ndata: {\"n\":2}\n\ndata: {\"n\":3}\n\ndata: {\"n\":4}\n\ndata: {\"n\":5}\n\n");
        assertThat(routeDone).as("the route went on before the model finished").isLessThan(
                fixture.model.sseFinishedNanos("camel-sse"));
        TinyModel.Received received = fixture.model.receivedWithId("camel-sse").get(0);
        assertThat(received.header("Authorization")).containsExactly("Bearer " + AgentFixture.SECRET);
        assertThat(received.header("Accept")).containsExactly("text/event-stream");
    }

    @Test
    void theModelSeesTheGatewayRequestsMethodPathQueryAndBodyAndTheRouteGetsAWholeAnswer() throws Exception {
        PipelineExchange gateway = ForwardedExchange.of("camel-echo", "PUT", "/v1/echo", "id=camel-echo&x=1",
                "{\"prompt\":\"hi\"}", new Identity("sub-1", "alice", "https://idp", "cli", Set.of("analysts"),
                        Set.of(), null, List.of(), null, null, Instant.now().plusSeconds(60), null, Map.of()));
        gateway.request().headers().add("Content-Type", "application/json");
        gateway.attributes().put(StandardAttributes.DEADLINE, Instant.now().plusSeconds(30));

        Exchange result = send("direct:echo", gateway);

        assertThat(AgentExchanges.reply(result).status()).isEqualTo(200);
        assertThat(AgentExchanges.reply(result).streamed()).isFalse();
        assertThat(responseHeaders(result).get("X-Model")).containsExactly("tiny");
        BodyCollector reader = new BodyCollector(true);
        body(result).subscribe(reader);
        assertThat(reader.await().text()).isEqualTo(TinyModel.ECHO_BODY);
        TinyModel.Received received = fixture.model.receivedWithId("camel-echo").get(0);
        assertThat(received.method()).isEqualTo("PUT");
        assertThat(received.pathAndQuery()).isEqualTo("/v1/echo?id=camel-echo&x=1");
        assertThat(new String(received.body(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("{\"prompt\":\"hi\"}");
    }

    @Test
    void theGatewaySignedIdentityTokenReachesTheModelAsGatehouseIdentityAndACallerSetOneNever() throws Exception {
        PipelineExchange gateway = ForwardedExchange.of("camel-identity", "GET", "/v1/echo", "id=camel-identity");
        gateway.request().headers().add("Gatehouse-Identity", "forged-by-the-caller");
        gateway.attributes().put(StandardAttributes.IDENTITY_TOKEN, "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln");

        assertThat(AgentProducer.toRequest(gateway, "echo").getIdentityToken())
                .isEqualTo("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln");
        Exchange result = send("direct:echo", gateway);

        assertThat(AgentExchanges.reply(result).status()).isEqualTo(200);
        body(result).subscribe(new BodyCollector(true));
        TinyModel.Received received = fixture.model.receivedWithId("camel-identity").get(0);
        assertThat(received.header("Gatehouse-Identity")).containsExactly("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln");

        PipelineExchange without = ForwardedExchange.of("camel-no-identity", "GET", "/v1/echo",
                "id=camel-no-identity");
        without.request().headers().add("Gatehouse-Identity", "forged-by-the-caller");
        body(send("direct:echo", without)).subscribe(new BodyCollector(true));
        assertThat(fixture.model.receivedWithId("camel-no-identity").get(0).header("Gatehouse-Identity")).isEmpty();
    }

    @Test
    void anUnknownServiceFailsTheExchangeBeforeAnyHead() {
        Exchange result = send("direct:nope", ForwardedExchange.of("camel-nope", "GET", "/v1/echo", ""));

        AgentCallException failure = failure(result);
        assertThat(failure.kind()).isEqualTo(AgentCallException.Kind.UNKNOWN_SERVICE);
        assertThat(failure.getMessage()).isEqualTo("unknown service 'nope'; this agent serves [echo, raw, plain, down, slow]");
        assertThat(AgentExchanges.reply(result)).isNull();
    }

    @Test
    void aModelServerThatIsDownFailsTheExchangeAsUpstreamUnreachable() {
        Exchange result = template.send("agent:local?service=down",
                e -> AgentExchanges.attach(e, ForwardedExchange.of("camel-down", "GET", "/", "")));

        AgentCallException failure = failure(result);
        assertThat(failure.kind()).isEqualTo(AgentCallException.Kind.UPSTREAM_UNREACHABLE);
        assertThat(failure.getMessage()).doesNotContain(AgentFixture.SECRET)
                .isEqualTo("service 'down' is unreachable at http://127.0.0.1:" + fixture.downPort + ": connection refused");
    }

    @Test
    void anAgentThatIsNotListeningFailsTheExchangeAsUnavailable() {
        Exchange result = send("direct:dead", ForwardedExchange.of("camel-dead", "GET", "/v1/echo", ""));

        AgentCallException failure = failure(result);
        assertThat(failure.kind()).isEqualTo(AgentCallException.Kind.UNAVAILABLE);
        assertThat(failure.getMessage()).startsWith("agent 'dead' at 127.0.0.1:" + deadPort + ": UNAVAILABLE");
    }

    @Test
    void aDeadlineThatHasAlreadyPassedFailsTheExchangeAsDeadlineExceeded() {
        PipelineExchange gateway = ForwardedExchange.of("camel-late", "GET", "/v1/echo", "");
        gateway.attributes().put(StandardAttributes.DEADLINE, Instant.now().minusMillis(1));

        AgentCallException failure = failure(send("direct:echo", gateway));

        assertThat(failure.kind()).isEqualTo(AgentCallException.Kind.DEADLINE_EXCEEDED);
        assertThat(failure.getMessage()).startsWith("agent 'local' at " + fixture.client.target() + ": DEADLINE_EXCEEDED");
    }

    @Test
    void aDeadlinePassingMidStreamEndsTheBodyWithDeadlineExceededAndStopsTheModel() throws Exception {
        PipelineExchange gateway = ForwardedExchange.of("camel-mid", "GET", "/v1/endless", "id=camel-mid");
        gateway.attributes().put(StandardAttributes.DEADLINE, Instant.now().plusMillis(800));

        Exchange result = send("direct:echo", gateway);
        assertThat(result.getException()).isNull();
        BodyCollector reader = new BodyCollector(true);
        body(result).subscribe(reader);

        assertThat(reader.await().error()).isInstanceOf(AgentCallException.class);
        assertThat(((AgentCallException) reader.error()).kind()).isEqualTo(AgentCallException.Kind.DEADLINE_EXCEEDED);
        assertThat(reader.chunks()).isNotEmpty();
        assertThat(fixture.model.disconnected("camel-mid").await(20, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aModelThatBreaksOffMidStreamEndsTheBodyWithAnUpstreamError() throws Exception {
        Exchange result = send("direct:echo", ForwardedExchange.of("camel-broken", "GET", "/v1/broken", "id=cb"));
        BodyCollector reader = new BodyCollector(true);
        body(result).subscribe(reader);

        assertThat(reader.await().error()).isInstanceOf(AgentCallException.class);
        AgentCallException error = (AgentCallException) reader.error();
        assertThat(error.kind()).isEqualTo(AgentCallException.Kind.UPSTREAM_ERROR);
        assertThat(error.getMessage()).isEqualTo("service 'echo' broke off the response: the model server closed the connection");
        assertThat(reader.text()).isEqualTo("data: {\"n\":1}\n\n");
    }

    @Test
    void cancellingTheBodyCancelsTheCallAndTheModelRequest() throws Exception {
        Exchange result = send("direct:echo", ForwardedExchange.of("camel-cancel", "GET", "/v1/endless", "id=camel-cancel"));
        BodyCollector reader = new BodyCollector(true);
        body(result).subscribe(reader);
        reader.awaitFirstChunk();

        reader.subscription().cancel();

        assertThat(fixture.model.disconnected("camel-cancel").await(20, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void theBodyCanBeReadOnlyOnce() throws Exception {
        Exchange result = send("direct:echo", ForwardedExchange.of("camel-twice", "GET", "/v1/echo", ""));
        BodyCollector first = new BodyCollector(true);
        body(result).subscribe(first);
        BodyCollector second = new BodyCollector(true);
        body(result).subscribe(second);

        assertThat(second.await().error()).isInstanceOf(IllegalStateException.class)
                .hasMessage("the agent response body can be read once and already has a subscriber");
        assertThat(first.await().text()).isEqualTo(TinyModel.ECHO_BODY);
    }

    @Test
    void aSlowReaderStallsTheModelServerInsteadOfBufferingItsOutput() throws Exception {
        Exchange result = send("direct:echo",
                ForwardedExchange.of("camel-slow", "GET", "/v1/endless", "id=camel-slow&size=65536"));
        BodyCollector reader = new BodyCollector(false);
        body(result).subscribe(reader);
        reader.awaitFirstChunk();

        long before = -1;
        long now = fixture.model.written("camel-slow");
        long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (now != before && System.nanoTime() < giveUp) {
            Thread.sleep(500);
            before = now;
            now = fixture.model.written("camel-slow");
        }

        assertThat(now).as("the model stopped writing").isEqualTo(before);
        assertThat(now).as("bytes the model could write ahead of a reader that took one chunk")
                .isLessThan(64L * 1024 * 1024);
        assertThat(reader.chunks()).hasSize(1);
        reader.subscription().cancel();
        assertThat(fixture.model.disconnected("camel-slow").await(20, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void anEndpointNamingAnUnknownAgentFailsAtCreationNamingTheKnownAgents() {
        assertThatThrownBy(() -> camel.getEndpoint("agent:elsewhere?service=echo"))
                .isInstanceOf(ResolveEndpointFailedException.class)
                .rootCause().hasMessage("unknown agent 'elsewhere'; known agents: [dead, local]");
    }

    @Test
    void anEndpointWithoutServiceFailsAtCreation() {
        assertThatThrownBy(() -> camel.getEndpoint("agent:local"))
                .isInstanceOf(ResolveEndpointFailedException.class)
                .rootCause().hasMessage("agent:local needs ?service=NAME, the agent's service to call");
    }

    @Test
    void anExchangeWithoutAGatewayExchangeFailsNamingWhatIsMissing() {
        Exchange result = template.send("direct:echo", e -> e.getMessage().setBody("x"));

        assertThat(result.getException()).isInstanceOf(IllegalStateException.class)
                .hasMessage("the route carries no gateway exchange: agent:local forwards one (AgentExchanges.attach)");
    }

    /** Runs last, so it covers every call of this class. */
    @Test
    @Order(Integer.MAX_VALUE)
    void noLogLineOfTheseCallsHoldsTheCredentialOrTheCallersToken() {
        assertThat(logs.lines()).isNotEmpty()
                .noneMatch(l -> l.contains(AgentFixture.SECRET) || l.contains("callers-own-token"));
    }

    @Test
    void anEndpointThatStripsItsPathSendsTheRestOnSegmentExactly() {
        assertThat(AgentProducer.stripped("/ollama/api/chat", "/ollama")).isEqualTo("/api/chat");
        assertThat(AgentProducer.stripped("/ollama", "/ollama")).isEqualTo("/");
        assertThat(AgentProducer.stripped("/ollamax/api/chat", "/ollama")).isEqualTo("/ollamax/api/chat");
        assertThat(AgentProducer.stripped("/v1/models", null)).isEqualTo("/v1/models");
    }
}
