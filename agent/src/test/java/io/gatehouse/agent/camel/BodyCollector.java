package io.gatehouse.agent.camel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/** Reads a body publisher one chunk at a time (request(1) after each), recording chunks and the end. */
final class BodyCollector implements Flow.Subscriber<byte[]> {

    private final List<byte[]> chunks = new ArrayList<>();
    private final CountDownLatch done = new CountDownLatch(1);
    private final CountDownLatch firstChunk = new CountDownLatch(1);
    private final boolean autoRequest;
    private volatile Flow.Subscription subscription;
    private volatile Throwable error;
    private volatile boolean completed;

    BodyCollector(boolean autoRequest) {
        this.autoRequest = autoRequest;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        s.request(1);
    }

    @Override
    public void onNext(byte[] item) {
        synchronized (chunks) {
            chunks.add(item);
        }
        firstChunk.countDown();
        if (autoRequest) {
            subscription.request(1);
        }
    }

    @Override
    public void onError(Throwable t) {
        error = t;
        done.countDown();
    }

    @Override
    public void onComplete() {
        completed = true;
        done.countDown();
    }

    BodyCollector await() throws InterruptedException {
        assertThat(done.await(30, TimeUnit.SECONDS)).as("the body ended").isTrue();
        return this;
    }

    void awaitFirstChunk() throws InterruptedException {
        assertThat(firstChunk.await(30, TimeUnit.SECONDS)).as("a chunk arrived").isTrue();
    }

    Flow.Subscription subscription() {
        return subscription;
    }

    List<byte[]> chunks() {
        synchronized (chunks) {
            return List.copyOf(chunks);
        }
    }

    String text() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        chunks().forEach(out::writeBytes);
        return out.toString(StandardCharsets.UTF_8);
    }

    Throwable error() {
        return error;
    }

    boolean completed() {
        return completed;
    }
}
