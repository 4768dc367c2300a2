package io.gatehouse.store;

/** The store could not do what was asked: unreachable, full, or refusing. The message is safe to show. */
public class StoreException extends RuntimeException {

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreException(String message) {
        super(message);
    }
}
