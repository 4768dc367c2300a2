package io.gatehouse.gateway.protocol;

/** The request body does not match its protocol; the message says what is wrong and is shown to the client. */
public class MalformedRequestException extends RuntimeException {
    public MalformedRequestException(String message) {
        super(message);
    }
}
