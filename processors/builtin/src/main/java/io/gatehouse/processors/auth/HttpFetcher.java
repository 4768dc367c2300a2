package io.gatehouse.processors.auth;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Small HTTP reads from identity providers (discovery, JWKS, introspection), each bounded in time
 * (one deadline for connecting, the head and the whole body) and in size (the body is cut off, and
 * the read failed, past the limit). Redirects are not followed: the URLs are pinned by config and
 * discovery. Thread-safe; the JDK client does the I/O on its own threads, so an asynchronous read
 * blocks nobody.
 */
final class HttpFetcher {

    /** A read failed; the message says why in a few words, fit for a log line or a 503 detail. */
    static final class FetchException extends Exception {
        FetchException(String message) {
            super(message, null, false, false);
        }
    }

    private final HttpClient client;

    HttpFetcher(Duration connectTimeout) {
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** GET {@code url}, waiting at most {@code timeout}. */
    byte[] get(URI url, Duration timeout, long maxBytes) throws FetchException {
        return await(getAsync(url, timeout, maxBytes), timeout, url);
    }

    /** POST a form to {@code url} with HTTP Basic credentials, waiting at most {@code timeout}. */
    byte[] postForm(URI url, String form, String basicCredentials, Duration timeout, long maxBytes)
            throws FetchException {
        return await(postFormAsync(url, form, basicCredentials, timeout, maxBytes), timeout, url);
    }

    /** {@link #postForm} without waiting: the future fails (or times out) after {@code timeout}. */
    CompletableFuture<byte[]> postFormAsync(URI url, String form, String basicCredentials, Duration timeout,
                                            long maxBytes) {
        HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout)
                .header("Accept", "application/json")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", "Basic " + basicCredentials)
                .POST(HttpRequest.BodyPublishers.ofString(form, StandardCharsets.UTF_8)).build();
        return send(request, maxBytes).orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The bytes of a future from this fetcher that has completed, or the {@link FetchException} it failed with. */
    static byte[] done(CompletableFuture<byte[]> future, URI url) throws FetchException {
        return await(future, Duration.ZERO, url);
    }

    /** GET without waiting: the future fails with a {@link FetchException} (or times out) after {@code timeout}. */
    CompletableFuture<byte[]> getAsync(URI url, Duration timeout, long maxBytes) {
        HttpRequest request = HttpRequest.newBuilder(url).timeout(timeout).header("Accept", "application/json")
                .GET().build();
        return send(request, maxBytes).orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private CompletableFuture<byte[]> send(HttpRequest request, long maxBytes) {
        try {
            return client.sendAsync(request, info -> new LimitedBody(info, maxBytes)).thenApply(HttpResponse::body);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new FetchException("the request cannot be sent (" + e.getMessage() + ")"));
        }
    }

    private static byte[] await(CompletableFuture<byte[]> future, Duration timeout, URI url) throws FetchException {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new FetchException("no answer within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new FetchException("interrupted");
        } catch (ExecutionException e) {
            throw describe(e.getCause());
        }
    }

    /** A failure of an asynchronous read as a {@link FetchException}. */
    static FetchException describe(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof FetchException f) {
            return f;
        }
        if (cause instanceof TimeoutException || cause instanceof HttpTimeoutException) {
            return new FetchException("no answer in time");
        }
        if (cause instanceof java.net.ConnectException) {
            return new FetchException("connection refused");
        }
        String message = cause.getMessage();
        return new FetchException(cause.getClass().getSimpleName() + (message == null ? "" : ": "
                + AuthRejection.safe(message)));
    }

    /** Collects a 200 body up to {@code maxBytes}; anything else fails the read. */
    private static final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {

        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();
        private final long maxBytes;
        private final int status;
        private Flow.Subscription subscription;

        LimitedBody(HttpResponse.ResponseInfo info, long maxBytes) {
            this.maxBytes = maxBytes;
            this.status = info.statusCode();
            long declared = info.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (status != 200) {
                result.completeExceptionally(new FetchException("HTTP status " + status));
            } else if (declared > maxBytes) {
                result.completeExceptionally(new FetchException("the document is " + declared
                        + " bytes, more than the limit of " + maxBytes));
            }
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (result.isDone()) {
                s.cancel();
            } else {
                s.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer b : items) {
                if (body.size() + (long) b.remaining() > maxBytes) {
                    subscription.cancel();
                    result.completeExceptionally(new FetchException("the document is larger than the limit of "
                            + maxBytes + " bytes"));
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                body.writeBytes(chunk);
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(body.toByteArray());
        }

        @Override
        public java.util.concurrent.CompletionStage<byte[]> getBody() {
            return result;
        }
    }
}
