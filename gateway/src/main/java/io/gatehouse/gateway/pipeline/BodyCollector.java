package io.gatehouse.gateway.pipeline;

import java.io.ByteArrayOutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/** Collects a non-streamed body from the agent, refusing to hold more than a bound. */
final class BodyCollector implements Flow.Subscriber<byte[]> {

    /** The body exceeded the bound; the upstream was cancelled. */
    static final class TooLargeException extends RuntimeException {
        TooLargeException(long limit) {
            super("the model's response is larger than " + limit + " bytes");
        }
    }

    private final long limit;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private Flow.Subscription subscription;

    private BodyCollector(long limit) {
        this.limit = limit;
    }

    static CompletableFuture<byte[]> collect(Flow.Publisher<byte[]> source, long limit) {
        BodyCollector collector = new BodyCollector(limit);
        source.subscribe(collector);
        return collector.result;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        this.subscription = subscription;
        subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(byte[] chunk) {
        if (result.isDone()) {
            return;
        }
        if ((long) bytes.size() + chunk.length > limit) {
            subscription.cancel();
            result.completeExceptionally(new TooLargeException(limit));
            return;
        }
        bytes.writeBytes(chunk);
    }

    @Override
    public void onError(Throwable error) {
        result.completeExceptionally(error);
    }

    @Override
    public void onComplete() {
        result.complete(bytes.toByteArray());
    }
}
