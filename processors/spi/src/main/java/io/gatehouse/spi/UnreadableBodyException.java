package io.gatehouse.spi;

/**
 * A step cannot read a body it must transform: not the JSON or text its headers declare, an unknown
 * charset, compressed, an event over a size limit. Whoever sent the body is at fault, not the gateway:
 * on a response the gateway withholds the answer and tells the client the model's answer was unreadable
 * ({@code 502}), or ends a stream with an error; it never lets the body through untransformed. The
 * message says what is wrong and where, never the body's content.
 */
public class UnreadableBodyException extends RuntimeException {

    public UnreadableBodyException(String message) {
        super(message, null, false, false);
    }
}
