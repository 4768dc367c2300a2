package io.gatehouse.processors.masking;

/**
 * Masking could not read what it must mask, so it refuses to pass it on (fail closed). A streamed response
 * ends with an error event; a whole one is withheld and answered 502 ({@link io.gatehouse.spi.UnreadableBodyException}).
 * The message never quotes the content.
 */
public final class MaskingException extends io.gatehouse.spi.UnreadableBodyException {

    public MaskingException(String message) {
        super(message);
    }
}
