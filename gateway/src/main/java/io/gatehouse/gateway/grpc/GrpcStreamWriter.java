package io.gatehouse.gateway.grpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.Message;
import io.gatehouse.engine.ChunkPipeline;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.gateway.pipeline.StreamAnswerer;
import io.gatehouse.engine.UpstreamResponse;
import io.gatehouse.spi.Completion;
import io.grpc.Metadata;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a streamed answer to a gRPC client message by message: each JSON line the response phase lets
 * through (masked, filtered) becomes the model's message again and goes out at once. One message is
 * asked of the agent at a time, and the next only when the client can take more. The exchange's end
 * hooks (the recording's end record) run before the call is ended; the call ends when the client has
 * half-closed and its last message is answered.
 */
final class GrpcStreamWriter implements StreamAnswerer {

    private static final Logger LOG = LoggerFactory.getLogger(GrpcStreamWriter.class);

    private final RoutedMessage routed;

    GrpcStreamWriter(RoutedMessage routed) {
        this.routed = routed;
    }

    @Override
    public void answer(PipelineExchange px, UpstreamResponse response, Supplier<CompletionStage<Void>> endHooks) {
        routed.streamed().set(true);
        routed.call().responseHeader(GrpcStatuses.REQUEST_ID.name(), px.requestId());
        ChunkPipeline pipeline = response.pipelineBody().pipeline();
        response.pipelineBody().source().subscribe(new Flow.Subscriber<>() {
            private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
            private Flow.Subscription subscription;
            private boolean over;

            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription = s;
                s.request(1);
            }

            @Override
            public void onNext(byte[] chunk) {
                if (over) {
                    return;
                }
                try {
                    lines(pipeline.apply(chunk));
                } catch (RuntimeException e) {
                    LOG.warn("request {}: a response step failed on the stream: {}", px.requestId(), e.toString());
                    subscription.cancel();
                    end(Status.INTERNAL.withDescription("the gateway could not check the model's answer, so the"
                            + " stream was ended; request id " + px.requestId()), 500, e);
                    return;
                }
                if (routed.call().cancelled()) {
                    subscription.cancel();
                    over = true;
                    pipeline.ended(null);
                    px.complete(Completion.Kind.CLIENT_GONE, 200, null, "the client cancelled the call during the stream");
                    routed.call().done();
                    return;
                }
                if (routed.call().readyOr(() -> subscription.request(1))) {
                    subscription.request(1);
                }
            }

            @Override
            public void onError(Throwable error) {
                if (over) {
                    return;
                }
                Status status = GrpcReplies.statusOf(error)
                        .orElse(Status.UNAVAILABLE.withDescription("the model's stream broke off: " + error.getMessage()));
                end(status, 502, error);
            }

            @Override
            public void onComplete() {
                if (over) {
                    return;
                }
                try {
                    lines(pipeline.finish());
                    if (partial.size() > 0) {
                        send(partial.toByteArray());
                        partial.reset();
                    }
                } catch (RuntimeException e) {
                    end(Status.INTERNAL.withDescription("the gateway could not check the end of the model's answer;"
                            + " request id " + px.requestId()), 500, e);
                    return;
                }
                over = true;
                endHooks.get().whenComplete((ok, error) -> {
                    if (error != null) {
                        pipeline.ended(error);
                        px.complete(Completion.Kind.FAILED, 503, null, String.valueOf(error));
                        routed.call().fail(Status.UNAVAILABLE.withDescription("the gateway could not complete the"
                                + " exchange safely, so the end of the answer was withheld; retry later. Request id "
                                + px.requestId()), trailers(px));
                        return;
                    }
                    pipeline.ended(null);
                    px.complete(Completion.Kind.ANSWERED, response.status(), null, null);
                    routed.call().done();
                });
            }

            /** Sends every complete line; keeps a partial one for the next chunk. */
            private void lines(byte[] bytes) {
                int from = 0;
                for (int i = 0; i < bytes.length; i++) {
                    if (bytes[i] == '\n') {
                        partial.write(bytes, from, i - from);
                        if (partial.size() > 0) {
                            send(partial.toByteArray());
                        }
                        partial.reset();
                        from = i + 1;
                    }
                }
                partial.write(bytes, from, bytes.length - from);
            }

            private void send(byte[] line) {
                JsonNode json;
                try {
                    json = RequestJson.JSON.readTree(line);
                } catch (java.io.IOException e) {
                    throw new IllegalStateException("a response step left a line that is not JSON", e);
                }
                Message original = routed.answers().poll();
                if (original == null) {
                    throw new IllegalStateException("a response step added a message the model did not send");
                }
                routed.call().send(ResponseJson.fromJson(routed.rpc(), original, json));
                byte[] sent = java.util.Arrays.copyOf(line, line.length + 1);
                sent[line.length] = '\n';
                pipeline.sent(sent);
            }

            private void end(Status status, int httpStatus, Throwable error) {
                over = true;
                pipeline.ended(error);
                if (routed.call().cancelled()) {
                    px.complete(Completion.Kind.CLIENT_GONE, httpStatus, null, "the client cancelled the call during"
                            + " the stream");
                } else {
                    px.complete(Completion.Kind.FAILED, httpStatus, null, "stream interrupted: " + error);
                }
                routed.call().fail(status, trailers(px));
            }
        });
    }

    private static Metadata trailers(PipelineExchange px) {
        Metadata trailers = new Metadata();
        trailers.put(GrpcStatuses.REQUEST_ID, px.requestId());
        return trailers;
    }
}
