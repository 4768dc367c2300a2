package io.gatehouse.gateway.pipeline;

import io.gatehouse.agent.camel.AgentExchanges;
import io.gatehouse.agent.camel.AgentReply;
import io.gatehouse.engine.PipelineBody;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.engine.StepCalls;
import io.gatehouse.engine.StepResult;
import io.gatehouse.engine.UpstreamResponse;
import io.gatehouse.gateway.http.HttpAnswers;
import io.gatehouse.gateway.http.StreamingHttpResponse;
import io.gatehouse.spi.Completion;
import io.gatehouse.spi.Headers;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Flow;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.component.netty.NettyConstants;
import org.apache.camel.support.AsyncProcessorSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After the agent: builds the response the pipeline sees from the {@link AgentReply}, runs every
 * step's response phase in reverse pipeline order through the engine ({@link StepCalls#respond}),
 * then answers the client — a whole body at once, after the steps' end hooks, or a stream chunk by
 * chunk through {@link StreamingHttpResponse}.
 */
public final class ResponsePhaseProcessor extends AsyncProcessorSupport {

    private static final Logger LOG = LoggerFactory.getLogger(ResponsePhaseProcessor.class);

    private final long maxResponseBytes;
    private final EndpointAnswers answers;

    public ResponsePhaseProcessor(long maxResponseBytes, EndpointAnswers answers) {
        this.maxResponseBytes = maxResponseBytes;
        this.answers = answers;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        PipelineExchange px = RouteExchanges.pipeline(exchange);
        AgentReply reply = AgentExchanges.reply(exchange);
        if (reply == null) {
            reply = new AgentReply(502, Map.of(), false, EMPTY);
        } else if (reply.body() == null) {
            reply = new AgentReply(reply.status(), reply.headers(), reply.streamed(), EMPTY);
        }
        Headers headers = new Headers();
        reply.headers().forEach((name, values) -> {
            if (!HttpAnswers.isHopByHop(name) && !name.regionMatches(true, 0, "gatehouse-", 0, 10)) {
                values.forEach(v -> headers.add(name, v));
            }
        });
        int status = reply.status();
        if (reply.streamed()) {
            respondStreamed(exchange, px, new UpstreamResponse(status, headers, PipelineBody.streamed(reply.body())));
            callback.done(true);
            return true;
        }
        BodyCollector.collect(reply.body(), maxResponseBytes).whenComplete((bytes, error) -> {
            if (error != null) {
                boolean tooLarge = error instanceof BodyCollector.TooLargeException;
                answers(exchange).fail(exchange, px, 502, "Bad gateway", tooLarge ? error.getMessage() + " (the gateway's limit)"
                        : "the model's response was cut off", String.valueOf(error));
                callback.done(false);
                return;
            }
            respondWhole(exchange, px, new UpstreamResponse(status, headers, PipelineBody.whole(bytes)), callback);
        });
        return false;
    }

    /** A whole body: response phase, transformers, observers, end hooks; then the answer. */
    private void respondWhole(Exchange exchange, PipelineExchange px, UpstreamResponse response, AsyncCallback callback) {
        PipelineBody body = response.pipelineBody();
        StepResult.Broken broken = StepCalls.respond(px, response);
        if (broken != null) {
            brokenOnResponse(exchange, px, broken, body);
            callback.done(false);
            return;
        }
        byte[] bytes;
        try {
            bytes = body.transformedWhole();
        } catch (io.gatehouse.spi.UnreadableBodyException e) {
            // The model's answer is not what it says it is: its fault, answered as such, never passed on.
            LOG.warn("request {}: the model's answer was withheld: {}", px.requestId(), e.getMessage());
            body.pipeline().ended(e);
            answers.fail(exchange, px, 502, "Bad gateway", "the model's answer could not be read by the gateway, so it "
                    + "was withheld: " + e.getMessage() + ". Request id " + px.requestId() + ".", e.toString());
            callback.done(false);
            return;
        } catch (RuntimeException e) {
            LOG.error("a response transformer failed (request {})", px.requestId(), e);
            body.pipeline().ended(e);
            answers(exchange).fail(exchange, px, 500, "Internal gateway error", "a gateway processor failed on the response; "
                    + "quote request id " + px.requestId() + " to the gateway's operators.", e.toString());
            callback.done(false);
            return;
        }
        body.pipeline().sent(bytes);
        StepCalls.responseEnd(px).whenComplete((v, error) -> {
            if (error != null) {
                LOG.error("request {}: {}", px.requestId(), error.getMessage(), error.getCause());
                body.pipeline().ended(error);
                answers(exchange).fail(exchange, px, 503, "Service unavailable", "the gateway could not complete the exchange "
                        + "safely, so the answer was withheld; retry later. Request id " + px.requestId() + ".",
                        error.getMessage());
            } else {
                body.pipeline().ended(null);
                HttpAnswers.whole(exchange, response.status(), response.headers(), null, bytes, px.requestId());
                px.complete(Completion.Kind.ANSWERED, response.status(), null, null);
            }
            callback.done(false);
        });
    }

    /** A stream: response phase, then chunk by chunk to the client (or to the call's own answerer). */
    private void respondStreamed(Exchange exchange, PipelineExchange px, UpstreamResponse response) {
        PipelineBody body = response.pipelineBody();
        StepResult.Broken broken = StepCalls.respond(px, response);
        if (broken != null) {
            cancel(body.source());
            brokenOnResponse(exchange, px, broken, body);
            return;
        }
        StreamAnswerer answerer = RouteExchanges.streamAnswerer(exchange);
        if (answerer != null) {
            answerer.answer(px, response, () -> StepCalls.responseEnd(px));
            return;
        }
        ChannelHandlerContext ctx = exchange.getIn().getHeader(NettyConstants.NETTY_CHANNEL_HANDLER_CONTEXT,
                ChannelHandlerContext.class);
        String contentType = response.headers().first("Content-Type").orElse(null);
        boolean eventStream = contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
        StreamingHttpResponse streaming = new StreamingHttpResponse(HttpResponseStatus.valueOf(response.status()),
                ctx.channel(), eventStream, body.pipeline(), () -> StepCalls.responseEnd(px), (end, cause) -> {
                    switch (end) {
                        case COMPLETED -> px.complete(Completion.Kind.ANSWERED, response.status(), null, null);
                        case FAILED -> px.complete(Completion.Kind.FAILED, response.status(), null,
                                "stream interrupted: " + cause);
                        case CLIENT_GONE -> px.complete(Completion.Kind.CLIENT_GONE, response.status(), null,
                                "the client closed the connection during the stream");
                    }
                });
        HttpAnswers.stream(exchange, streaming, response.headers(), px.requestId());
        streaming.start(body.source());
    }

    private void brokenOnResponse(Exchange exchange, PipelineExchange px, StepResult.Broken broken, PipelineBody body) {
        LOG.error("{} (request {})", broken.message(), px.requestId(), broken.cause());
        body.pipeline().ended(broken.cause());
        answers(exchange).fail(exchange, px, 500, "Internal gateway error", "a gateway processor failed on the response; "
                + "quote request id " + px.requestId() + " to the gateway's operators.", broken.message());
    }

    private static final Flow.Publisher<byte[]> EMPTY = subscriber -> {
        subscriber.onSubscribe(new Flow.Subscription() {
            public void request(long n) {
            }

            public void cancel() {
            }
        });
        subscriber.onComplete();
    };

    private static void cancel(Flow.Publisher<byte[]> source) {
        source.subscribe(new Flow.Subscriber<>() {
            public void onSubscribe(Flow.Subscription s) {
                s.cancel();
            }

            public void onNext(byte[] item) {
            }

            public void onError(Throwable throwable) {
            }

            public void onComplete() {
            }
        });
    }

    /** The answers of the pipeline the exchange opened on (a reload may have changed the endpoint's protocol). */
    private EndpointAnswers answers(Exchange exchange) {
        return RouteExchanges.answers(exchange, answers);
    }
}
