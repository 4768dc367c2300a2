package io.gatehouse.agent.camel;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.stub.ClientCallStreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AgentBodyPublisherTest {

    /** Records what the publisher asks of the gRPC call. */
    static final class FakeCall extends ClientCallStreamObserver<Object> {
        final List<Integer> requests = new ArrayList<>();
        final List<String> cancels = new ArrayList<>();

        int requested() {
            return requests.stream().mapToInt(Integer::intValue).sum();
        }

        @Override
        public void cancel(String message, Throwable cause) {
            cancels.add(message);
        }

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void setOnReadyHandler(Runnable onReadyHandler) {
        }

        @Override
        public void disableAutoInboundFlowControl() {
        }

        @Override
        public void request(int count) {
            requests.add(count);
        }

        @Override
        public void setMessageCompression(boolean enable) {
        }

        @Override
        public void onNext(Object value) {
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void itPrefetchesAFewChunksAndThenOnlyAsTheSubscriberReads() throws Exception {
        FakeCall call = new FakeCall();
        AgentBodyPublisher body = new AgentBodyPublisher(call);
        body.start();
        assertThat(call.requested()).isEqualTo(AgentBodyPublisher.PREFETCH);
        for (int i = 0; i < AgentBodyPublisher.PREFETCH; i++) {
            body.onChunk(bytes("c" + i));
        }
        assertThat(call.requested()).as("nothing more while nobody reads").isEqualTo(AgentBodyPublisher.PREFETCH);

        BodyCollector reader = new BodyCollector(false);
        body.subscribe(reader);
        assertThat(reader.chunks()).hasSize(1);
        reader.subscription().request(2);
        assertThat(reader.chunks()).hasSize(3);
        assertThat(call.requested()).as("5 queued + 0 in flight leaves room for 3, below the refill mark")
                .isEqualTo(AgentBodyPublisher.PREFETCH);
        reader.subscription().request(1);
        assertThat(call.requested()).isEqualTo(AgentBodyPublisher.PREFETCH + 4);
        assertThat(reader.text()).isEqualTo("c0c1c2c3");
    }

    @Test
    void itCompletesOnlyAfterEveryQueuedChunkWasDelivered() throws Exception {
        FakeCall call = new FakeCall();
        AgentBodyPublisher body = new AgentBodyPublisher(call);
        body.start();
        body.onChunk(bytes("a"));
        body.onChunk(bytes("b"));
        body.onEnd();
        BodyCollector reader = new BodyCollector(false);
        body.subscribe(reader);
        assertThat(reader.completed()).isFalse();

        reader.subscription().request(1);

        assertThat(reader.await().completed()).isTrue();
        assertThat(reader.text()).isEqualTo("ab");
        assertThat(call.cancels).isEmpty();
    }

    @Test
    void aFailureAfterSomeChunksIsSignalledAfterThem() throws Exception {
        FakeCall call = new FakeCall();
        AgentBodyPublisher body = new AgentBodyPublisher(call);
        body.start();
        BodyCollector reader = new BodyCollector(true);
        body.subscribe(reader);
        body.onChunk(bytes("a"));
        AgentCallException broken = new AgentCallException(AgentCallException.Kind.UPSTREAM_ERROR, "broken");
        body.onFailure(broken);

        assertThat(reader.await().error()).isSameAs(broken);
        assertThat(reader.text()).isEqualTo("a");
    }

    @Test
    void aSecondSubscriberIsRefused() throws Exception {
        AgentBodyPublisher body = new AgentBodyPublisher(new FakeCall());
        body.subscribe(new BodyCollector(true));
        BodyCollector second = new BodyCollector(true);

        body.subscribe(second);

        assertThat(second.await().error()).isInstanceOf(IllegalStateException.class)
                .hasMessage("the agent response body can be read once and already has a subscriber");
    }

    @Test
    void requestingZeroIsAnErrorThatCancelsTheCall() throws Exception {
        FakeCall call = new FakeCall();
        AgentBodyPublisher body = new AgentBodyPublisher(call);
        body.start();
        BodyCollector reader = new BodyCollector(false);
        body.subscribe(reader);

        reader.subscription().request(0);

        assertThat(reader.await().error()).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("request(n) needs n > 0, got 0 (Reactive Streams §3.9)");
        assertThat(call.cancels).containsExactly("the gateway's subscriber broke the Reactive Streams rules");
    }

    @Test
    void cancellingTheSubscriptionCancelsTheCallAndStopsDelivery() {
        FakeCall call = new FakeCall();
        AgentBodyPublisher body = new AgentBodyPublisher(call);
        body.start();
        BodyCollector reader = new BodyCollector(false);
        body.subscribe(reader);

        reader.subscription().cancel();
        body.onChunk(bytes("late"));
        reader.subscription().request(5);

        assertThat(call.cancels).containsExactly("the gateway stopped reading the response");
        assertThat(reader.chunks()).isEmpty();
        assertThat(reader.completed()).isFalse();
        assertThat(reader.error()).isNull();
    }
}
