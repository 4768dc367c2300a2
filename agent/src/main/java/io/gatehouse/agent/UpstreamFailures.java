package io.gatehouse.agent;

import io.gatehouse.agent.proto.ForwardResponse;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;

/** What the gateway is told when an HTTP service gave no response head: a code and a message without secrets. */
final class UpstreamFailures {

    private UpstreamFailures() {
    }

    /** UPSTREAM_UNREACHABLE naming why the connection failed, or UPSTREAM_ERROR naming the exception's type. */
    static ForwardResponse.Failure classify(Upstream upstream, Throwable cause) {
        String name = upstream.name();
        String unreachable = "service '" + name + "' is unreachable at " + upstream.base() + ": ";
        for (Throwable c = cause; c != null; c = c.getCause()) {
            if (c instanceof ConnectTimeoutException) {
                return failureOf(ForwardResponse.Failure.Code.UPSTREAM_UNREACHABLE, unreachable + "connect timed out after "
                        + Upstream.millis(upstream.config().connectTimeout()));
            }
            if (c instanceof SslHandshakeTimeoutException) {
                return failureOf(ForwardResponse.Failure.Code.UPSTREAM_UNREACHABLE, unreachable
                        + "TLS handshake timed out after " + Upstream.millis(upstream.config().connectTimeout()));
            }
            if (c instanceof NoRouteToHostException
                    || (c instanceof ConnectException && String.valueOf(c.getMessage()).contains("No route to host"))) {
                return failureOf(ForwardResponse.Failure.Code.UPSTREAM_UNREACHABLE, unreachable + "no route to host");
            }
            if (c instanceof ConnectException) {
                return failureOf(ForwardResponse.Failure.Code.UPSTREAM_UNREACHABLE, unreachable + "connection refused");
            }
            if (c instanceof UnresolvedAddressException || c instanceof UnknownHostException) {
                return failureOf(ForwardResponse.Failure.Code.UPSTREAM_UNREACHABLE, unreachable + "host not found");
            }
        }
        return failureOf(ForwardResponse.Failure.Code.UPSTREAM_ERROR, "request to service '" + name + "' failed: "
                + what(cause));
    }

    /**
     * What broke, in words an operator can act on: the model server reset or closed the connection, or
     * sent what is not HTTP; else the exception's type. Never its message (it may quote what was sent).
     */
    static String what(Throwable cause) {
        for (Throwable c = cause; c != null; c = c.getCause()) {
            if (c instanceof PrematureChannelClosureException) {
                return "the model server closed the connection";
            }
            if (c instanceof java.io.IOException && String.valueOf(c.getMessage()).contains("Connection reset")) {
                return "the model server reset the connection";
            }
            if (c instanceof javax.net.ssl.SSLException) {
                return "the TLS handshake with the model server failed (" + c.getClass().getSimpleName() + ")";
            }
            if (c instanceof DecoderException || c instanceof TooLongFrameException) {
                Throwable named = c.getCause() != null ? c.getCause() : c;
                return "the model server's response is not valid HTTP/1.1 (" + named.getClass().getSimpleName() + ")";
            }
        }
        return "the connection failed (" + cause.getClass().getSimpleName() + ")";
    }

    static ForwardResponse.Failure failureOf(ForwardResponse.Failure.Code code, String message) {
        return ForwardResponse.Failure.newBuilder().setCode(code).setMessage(message).build();
    }

    static ForwardResponse failure(ForwardResponse.Failure.Code code, String message) {
        return ForwardResponse.newBuilder().setFailure(failureOf(code, message)).build();
    }
}
