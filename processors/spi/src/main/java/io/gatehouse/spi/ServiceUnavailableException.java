package io.gatehouse.spi;

/**
 * A gateway service cannot do what was asked right now: its store is unreachable, its queue is full,
 * or it is shutting down. A processor that needs the answer fails closed (typically {@code 503} with
 * {@code Retry-After}); it never lets a request through on a guess. The message is safe to show to a
 * caller and names no secret. Services complete their futures exceptionally with it (or a subclass).
 */
public class ServiceUnavailableException extends RuntimeException {

    public ServiceUnavailableException(String message) {
        super(message);
    }

    public ServiceUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Whether {@code error}, or the cause it wraps (a {@link java.util.concurrent.CompletionException}
     * from a future), is a {@link ServiceUnavailableException}.
     */
    public static boolean isUnavailable(Throwable error) {
        return find(error) != null;
    }

    /** The {@link ServiceUnavailableException} in {@code error}'s wrapping causes, or null. */
    public static ServiceUnavailableException find(Throwable error) {
        Throwable t = error;
        for (int depth = 0; t != null && depth < 10; depth++) {
            if (t instanceof ServiceUnavailableException s) {
                return s;
            }
            if (!(t instanceof java.util.concurrent.CompletionException
                    || t instanceof java.util.concurrent.ExecutionException)) {
                return null;
            }
            t = t.getCause();
        }
        return null;
    }
}
