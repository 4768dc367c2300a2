package io.gatehouse.gateway.http;

import io.gatehouse.spi.Headers;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.component.netty.NettyConstants;
import org.apache.camel.component.netty.http.NettyHttpConstants;
import org.apache.camel.component.netty.http.NettyHttpMessage;

/**
 * Puts a ready Netty response into the Camel message. camel-netty-http writes a body that is
 * already an {@code HttpResponse} as it is, so the gateway controls every header it sends: no Camel
 * or request header leaks into a response.
 */
public final class HttpAnswers {

    public static final String REQUEST_ID_HEADER = "Gatehouse-Request-Id";

    /** Headers that describe one hop's connection; never copied between hops. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
            "content-length");

    private HttpAnswers() {
    }

    /** Answers with a whole body. */
    public static void whole(Exchange exchange, int status, Headers headers, String contentType, byte[] body,
                             String requestId) {
        DefaultFullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(body));
        copy(headers, response.headers());
        if (contentType != null) {
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
        finish(exchange, response, requestId);
    }

    /** Answers with a problem+json body. */
    public static void problem(Exchange exchange, Problem problem, String requestId, String path,
                               boolean openAiStyle) {
        Headers headers = new Headers();
        problem.headers().forEach(headers::set);
        whole(exchange, problem.status(), headers, Problem.CONTENT_TYPE, problem.toJson(requestId, path, openAiStyle),
                requestId);
    }

    /**
     * Answers with a stream; the body is written chunk by chunk as the agent delivers it. A client that
     * asked to close gets the whole stream first: Camel's close-when-complete would fire once the head is
     * written, so the stream closes the connection itself after its last chunk. An HTTP/1.0 client has no
     * chunked framing (RFC 9112, 6.1): its body is the raw bytes, ended by that close.
     */
    public static void stream(Exchange exchange, StreamingHttpResponse response, Headers headers, String requestId) {
        copy(headers, response.headers());
        boolean http10 = requestVersion(exchange) == HttpVersion.HTTP_1_0;
        if (!http10) {
            response.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        response.headers().set(REQUEST_ID_HEADER, requestId);
        if (http10 || clientAskedToClose(exchange)) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            response.closeAfterLastChunk();
        }
        exchange.getMessage().setBody(response);
    }

    private static void finish(Exchange exchange, HttpResponse response, String requestId) {
        response.headers().set(REQUEST_ID_HEADER, requestId);
        // The client asked to close (HTTP/1.0 or Connection: close): honour it after the answer.
        if (clientAskedToClose(exchange)) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            exchange.setProperty(NettyConstants.NETTY_CLOSE_CHANNEL_WHEN_COMPLETE, true);
        }
        exchange.getMessage().setBody(response);
    }

    private static boolean clientAskedToClose(Exchange exchange) {
        return "close".equalsIgnoreCase(exchange.getProperty(NettyHttpConstants.CONNECTION, String.class));
    }

    private static HttpVersion requestVersion(Exchange exchange) {
        NettyHttpMessage message = exchange.getIn(NettyHttpMessage.class);
        return message == null || message.getHttpRequest() == null ? HttpVersion.HTTP_1_1
                : message.getHttpRequest().protocolVersion();
    }

    private static void copy(Headers from, HttpHeaders to) {
        for (Map.Entry<String, List<String>> e : from.toMap().entrySet()) {
            if (!HOP_BY_HOP.contains(e.getKey().toLowerCase(Locale.ROOT))) {
                to.add(e.getKey(), e.getValue());
            }
        }
    }

    /** True for headers that must not be copied from one hop to the next. */
    public static boolean isHopByHop(String name) {
        return HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT));
    }
}
