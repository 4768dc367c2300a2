package io.gatehouse.processors.masking;

/**
 * Masking could not read what it must mask, so it refuses to pass it on (fail closed). A streamed response
 * ends with an error event; a whole one becomes a 500. The message never quotes the content.
 */
public final class MaskingException extends RuntimeException {

    public MaskingException(String message) {
        super(message, null, false, false);
    }
}
