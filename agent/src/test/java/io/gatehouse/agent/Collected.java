package io.gatehouse.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Collects one Forward call's responses with their arrival times. */
public final class Collected implements ClientResponseObserver<ForwardRequest, ForwardResponse> {

    public record Arrival(ForwardResponse message, long nanos) {
    }

    private final List<Arrival> arrivals = new ArrayList<>();
    private final CountDownLatch done = new CountDownLatch(1);
    private final CountDownLatch firstChunk = new CountDownLatch(1);
    private volatile Throwable error;
    private volatile ClientCallStreamObserver<ForwardRequest> call;

    @Override
    public void beforeStart(ClientCallStreamObserver<ForwardRequest> requestStream) {
        call = requestStream;
    }

    @Override
    public synchronized void onNext(ForwardResponse value) {
        arrivals.add(new Arrival(value, System.nanoTime()));
        if (value.hasChunk()) {
            firstChunk.countDown();
        }
    }

    @Override
    public void onError(Throwable t) {
        error = t;
        done.countDown();
    }

    @Override
    public void onCompleted() {
        done.countDown();
    }

    public Collected await() throws InterruptedException {
        assertThat(done.await(30, TimeUnit.SECONDS)).as("the call ended").isTrue();
        return this;
    }

    public void awaitFirstChunk() throws InterruptedException {
        assertThat(firstChunk.await(30, TimeUnit.SECONDS)).as("a chunk arrived").isTrue();
    }

    public ClientCallStreamObserver<ForwardRequest> call() {
        return call;
    }

    public synchronized List<Arrival> arrivals() {
        return List.copyOf(arrivals);
    }

    public synchronized List<ForwardResponse> messages() {
        return arrivals.stream().map(Arrival::message).toList();
    }

    public Throwable error() {
        return error;
    }

    public Status.Code statusCode() {
        return error == null ? Status.Code.OK : Status.fromThrowable(error).getCode();
    }

    /** The head, whether it came alone or with a whole body. */
    public ForwardResponse.Head head() {
        return messages().stream().filter(m -> m.hasHead() || m.hasWhole()).findFirst()
                .map(m -> m.hasWhole() ? m.getWhole().getHead() : m.getHead()).orElseThrow();
    }

    /** The answer ended cleanly: an end after the chunks, or a whole answer in one message. */
    public boolean ended() {
        List<ForwardResponse> all = messages();
        return !all.isEmpty() && (all.get(all.size() - 1).hasEnd() || all.get(all.size() - 1).hasWhole());
    }

    public ForwardResponse.Failure failure() {
        return messages().stream().filter(ForwardResponse::hasFailure).findFirst().orElseThrow().getFailure();
    }

    public List<Arrival> chunks() {
        return arrivals().stream().filter(a -> a.message().hasChunk()).toList();
    }

    public String body() {
        return new String(bodyBytes(), StandardCharsets.UTF_8);
    }

    /** The body's bytes: a whole answer's, or its chunks' in order. */
    public byte[] bodyBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        messages().stream().filter(ForwardResponse::hasWhole)
                .forEach(m -> out.writeBytes(m.getWhole().getBody().toByteArray()));
        chunks().forEach(a -> out.writeBytes(a.message().getChunk().getData().toByteArray()));
        return out.toByteArray();
    }

    public String headerValue(String name) {
        return head().getHeadersList().stream().filter(h -> h.getName().equalsIgnoreCase(name))
                .map(h -> h.getValue()).findFirst().orElse(null);
    }

    /** Every byte the agent sent, for "the secret never appears" checks. */
    public String everything() {
        StringBuilder b = new StringBuilder();
        messages().forEach(m -> b.append(m.toByteString().toString(StandardCharsets.ISO_8859_1)));
        if (error != null) {
            b.append(error);
        }
        return b.toString();
    }
}
