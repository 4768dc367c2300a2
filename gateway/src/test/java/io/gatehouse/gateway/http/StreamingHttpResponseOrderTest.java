package io.gatehouse.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.engine.ChunkPipeline;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.stream.ChunkedWriteHandler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.Test;

class StreamingHttpResponseOrderTest {

    /**
     * Like the agent's body publisher: chunks arrive from outside and wait in a buffer; a request hands
     * buffered chunks over at once, on the requesting thread (here: Netty's, inside readChunk).
     */
    private static final class BufferingPublisher implements Flow.Publisher<byte[]> {
        private final Queue<byte[]> buffer = new ArrayDeque<>();
        private Flow.Subscriber<? super byte[]> subscriber;
        private long demand;
        private boolean emitting;

        @Override
        public void subscribe(Flow.Subscriber<? super byte[]> s) {
            subscriber = s;
            s.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                    demand += n;
                    drain();
                }

                @Override
                public void cancel() {
                }
            });
        }

        void push(String chunk) {
            buffer.add(chunk.getBytes(StandardCharsets.UTF_8));
            drain();
        }

        private void drain() {
            if (emitting) {
                return;
            }
            emitting = true;
            while (demand > 0 && !buffer.isEmpty()) {
                demand--;
                subscriber.onNext(buffer.poll());
            }
            emitting = false;
        }
    }

    @Test
    void chunksHandedOverWhileNettyReadsOneAreWrittenInTheirOrder() {
        EmbeddedChannel channel = new EmbeddedChannel(new ChunkedWriteHandler());
        StreamingHttpResponse response = new StreamingHttpResponse(HttpResponseStatus.OK, channel, true,
                new ChunkPipeline(), () -> CompletableFuture.completedFuture(null), (end, cause) -> {
                });
        channel.writeAndFlush(response);
        BufferingPublisher source = new BufferingPublisher();
        response.start(source);

        // The client's socket is full while the model produces 20 chunks; then it drains.
        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            source.push(Integer.toString(i));
            expected.add(Integer.toString(i));
        }
        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        for (int i = 0; i < 1000 && channel.hasPendingTasks(); i++) {
            channel.runPendingTasks();
        }

        List<String> written = new ArrayList<>();
        for (Object message = channel.readOutbound(); message != null; message = channel.readOutbound()) {
            HttpContent content = (HttpContent) message;
            written.add(content.content().toString(StandardCharsets.UTF_8));
            content.release();
        }
        assertThat(written).containsExactlyElementsOf(expected);
    }
}
