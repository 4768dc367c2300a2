package io.gatehouse.gateway.pipeline;

import io.gatehouse.gateway.http.HttpAnswers;
import io.gatehouse.gateway.http.Problem;
import io.gatehouse.gateway.http.StreamingHttpResponse;
import io.gatehouse.spi.Completion;
import io.gatehouse.spi.Headers;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Flow;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.AsyncProcessorSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After the agent: builds the response the pipeline sees, runs every step's response phase in
 * reverse pipeline order, then answers the client — a whole body at once, or a stream chunk by
 * chunk through {@link StreamingHttpResponse}.
 *
 * <p>Reads the agent component's message contract: header {@code CamelHttpResponseCode}, header
 * {@code Gatehouse.ResponseHeaders} ({@code Map<String, List<String>>}), header
 * {@code Gatehouse.Streamed} and a {@code Flow.Publisher<byte[]>} body.
 */
public final class ResponsePhaseProcessor extends AsyncProcessorSupport {

    public static final String RESPONSE_HEADERS = "Gatehouse.ResponseHeaders";
    public static final String STREAMED = "Gatehouse.Streamed";

    private static final Logger LOG = LoggerFactory.getLogger(ResponsePhaseProcessor.class);

    private final long maxResponseBytes;
    private final boolean openAiErrors;

    public ResponsePhaseProcessor(long maxResponseBytes, boolean openAiErrors) {
        this.maxResponseBytes = maxResponseBytes;
        this.openAiErrors = openAiErrors;
    }

    @Override
    @SuppressWarnings("unchecked")
    public boolean process(Exchange exchange, AsyncCallback callback) {
        PipelineExchange px = exchange.getProperty(PipelineExchange.PROPERTY, PipelineExchange.class);
        Message message = exchange.getMessage();
        int status = message.getHeader(Exchange.HTTP_RESPONSE_CODE, 502, Integer.class);
        Headers headers = new Headers();
        Map<String, List<String>> upstream = message.getHeader(RESPONSE_HEADERS, Map.class);
        if (upstream != null) {
            upstream.forEach((name, values) -> {
                String lower = name.toLowerCase(Locale.ROOT);
                if (!HttpAnswers.isHopByHop(name) && !lower.startsWith("gatehouse-")) {
                    values.forEach(v -> headers.add(name, v));
                }
            });
        }
        Flow.Publisher<byte[]> source = message.getBody(Flow.Publisher.class);
        boolean streamed = Boolean.TRUE.equals(message.getHeader(STREAMED, Boolean.class));
        if (source == null) {
            source = subscriber -> {
                subscriber.onSubscribe(new Flow.Subscription() {
                    public void request(long n) {
                    }

                    public void cancel() {
                    }
                });
                subscriber.onComplete();
            };
        }
        if (streamed) {
            respond(exchange, px, new UpstreamResponse(status, headers, PipelineBody.streamed(source)));
            callback.done(true);
            return true;
        }
        BodyCollector.collect(source, maxResponseBytes).whenComplete((bytes, error) -> {
            if (error != null) {
                boolean tooLarge = error instanceof BodyCollector.TooLargeException;
                fail(exchange, px, 502, "Bad gateway", tooLarge ? error.getMessage() + " (the gateway's limit)"
                        : "the model's response was cut off", String.valueOf(error));
                callback.done(false);
            } else {
                respond(exchange, px, new UpstreamResponse(status, headers, PipelineBody.whole(bytes)))
                        .whenComplete((v, e) -> callback.done(false));
            }
        });
        return false;
    }

    /** Answers the client; the stage completes once the answer is in the Camel message. */
    private java.util.concurrent.CompletableFuture<Void> respond(Exchange exchange, PipelineExchange px,
                                                                 UpstreamResponse response) {
        java.util.concurrent.CompletableFuture<Void> answered = new java.util.concurrent.CompletableFuture<>();
        try {
            respond(exchange, px, response, answered);
        } catch (RuntimeException e) {
            LOG.error("answering request {} failed", px.requestId(), e);
            fail(exchange, px, 500, "Internal gateway error", "the gateway failed; quote request id "
                    + px.requestId() + " to the gateway's operators.", e.toString());
            answered.complete(null);
        }
        return answered;
    }

    private void respond(Exchange exchange, PipelineExchange px, UpstreamResponse response,
                         java.util.concurrent.CompletableFuture<Void> answered) {
        px.setResponse(response);
        List<PipelineStep> steps = px.enteredSteps();
        for (int i = steps.size() - 1; i >= 0; i--) {
            PipelineStep step = steps.get(i);
            try {
                step.processor().onResponse(px);
            } catch (RuntimeException e) {
                LOG.error("{} threw in onResponse (request {})", step.describe(), px.requestId(), e);
                if (response.pipelineBody().streamed()) {
                    cancel(response.pipelineBody().source());
                }
                fail(exchange, px, 500, "Internal gateway error", "a gateway processor failed on the response; "
                        + "quote request id " + px.requestId() + " to the gateway's operators.",
                        step.describe() + " threw " + e);
                answered.complete(null);
                return;
            }
        }
        PipelineBody body = response.pipelineBody();
        String contentType = response.headers().first("Content-Type").orElse(null);
        if (!body.streamed()) {
            byte[] bytes;
            try {
                bytes = body.transformedWhole();
            } catch (RuntimeException e) {
                LOG.error("a response transformer failed (request {})", px.requestId(), e);
                body.pipeline().ended(e);
                fail(exchange, px, 500, "Internal gateway error", "a gateway processor failed on the response; "
                        + "quote request id " + px.requestId() + " to the gateway's operators.", e.toString());
                answered.complete(null);
                return;
            }
            body.pipeline().sent(bytes);
            ResponseEndHooks.run(px).whenComplete((v, error) -> {
                if (error != null) {
                    Throwable cause = error.getCause() != null ? error.getCause() : error;
                    LOG.error("request {}: {}", px.requestId(), cause.getMessage(), cause.getCause());
                    body.pipeline().ended(cause);
                    fail(exchange, px, 503, "Service unavailable", "the gateway could not complete the exchange "
                            + "safely, so the answer was withheld; retry later. Request id " + px.requestId() + ".",
                            cause.getMessage());
                } else {
                    body.pipeline().ended(null);
                    HttpAnswers.whole(exchange, response.status(), response.headers(), null, bytes, px.requestId());
                    px.complete(Completion.Kind.ANSWERED, response.status(), null, null);
                }
                answered.complete(null);
            });
            return;
        }
        StreamAnswerer answerer = exchange.getProperty(StreamAnswerer.PROPERTY, StreamAnswerer.class);
        if (answerer != null) {
            answerer.answer(px, response, () -> endHooksOffTheEventLoop(px));
            answered.complete(null);
            return;
        }
        Channel channel = exchange.getProperty(ExchangeOpener.CHANNEL_PROPERTY, Channel.class);
        boolean eventStream = contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
        StreamingHttpResponse streaming = new StreamingHttpResponse(HttpResponseStatus.valueOf(response.status()),
                channel, eventStream, body.pipeline(), () -> endHooksOffTheEventLoop(px), (end, cause) -> {
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
        answered.complete(null);
    }

    /**
     * A stream's end is noticed on the channel's event loop, but the SPI promises processors never
     * run on an I/O thread: the end hooks start on a worker instead.
     */
    private static java.util.concurrent.CompletionStage<Void> endHooksOffTheEventLoop(PipelineExchange px) {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> ResponseEndHooks.run(px),
                java.util.concurrent.ForkJoinPool.commonPool()).thenCompose(hooks -> hooks);
    }

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

    private void fail(Exchange exchange, PipelineExchange px, int status, String title, String detail, String log) {
        HttpAnswers.problem(exchange, Problem.of(status, title, detail), px.requestId(), px.request().path(),
                openAiErrors);
        px.complete(Completion.Kind.FAILED, status, null, log);
    }
}
