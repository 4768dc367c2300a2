package io.gatehouse.store;

import io.gatehouse.spi.ServiceUnavailableException;

/**
 * The store could not do what was asked: unreachable, full, or refusing. The message is safe to show.
 * Processors see it as the SPI's {@link ServiceUnavailableException} and fail closed.
 */
public class StoreException extends ServiceUnavailableException {

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreException(String message) {
        super(message);
    }
}
