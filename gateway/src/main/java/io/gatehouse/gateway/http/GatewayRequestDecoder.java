package io.gatehouse.gateway.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import java.util.List;

/**
 * Netty's request decoder, strict: bare LF line endings, duplicate {@code Content-Length}s and invalid
 * header names or values are decoding errors, and a head that breaks {@link RequestChecks#framing} is
 * marked with a {@link Refusal} and passed on without its body, so the decoder never frames a body the
 * gateway will not accept (whatever follows it on the connection is never read as a request: the
 * connection is closed after the answer). It also notes each request's method for
 * {@link HeadAwareResponseEncoder}, as Netty's {@code HttpServerCodec} does.
 */
final class GatewayRequestDecoder extends HttpRequestDecoder {

    /** Netty's default; a longer request line is answered 414 by the guard. */
    static final int MAX_INITIAL_LINE = 8192;

    private final RequestMethods methods;

    GatewayRequestDecoder(int maxHeaderSize, RequestMethods methods) {
        super(new HttpDecoderConfig()
                .setMaxInitialLineLength(MAX_INITIAL_LINE)
                .setMaxHeaderSize(maxHeaderSize)
                .setMaxChunkSize(8192)
                .setValidateHeaders(true)
                .setAllowDuplicateContentLengths(false)
                .setAllowPartialChunks(true)
                .setStrictLineParsing(true));
        this.methods = methods;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        int before = out.size();
        super.decode(ctx, buffer, out);
        for (int i = before; i < out.size(); i++) {
            if (out.get(i) instanceof HttpRequest request) {
                methods.add(request.method());
            }
        }
    }

    /** Called once the head is read, before the body is framed: the place to refuse a framing. */
    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage message) {
        if (message instanceof HttpRequest request) {
            // A client may not set the listener's own verdict.
            request.headers().remove(Refusal.HEADER);
            Refusal refusal = RequestChecks.framing(request);
            if (refusal != null) {
                request.headers().set(Refusal.HEADER, refusal.encode());
                return true; // read no body: the connection closes after the answer
            }
        }
        return super.isContentAlwaysEmpty(message);
    }
}
