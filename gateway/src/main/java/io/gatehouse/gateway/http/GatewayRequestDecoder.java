package io.gatehouse.gateway.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
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
    /** Checks the chunk sizes of the chunked body being read, if any. */
    private ChunkSizeScan chunks;
    private boolean failed;

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
        if (failed) {
            buffer.skipBytes(buffer.readableBytes());
            return;
        }
        if (chunks != null) {
            String error = chunks.check(buffer);
            if (error != null) {
                // Netty would read a wrapped size; end the message as a decoding failure and read nothing more.
                failed = true;
                buffer.skipBytes(buffer.readableBytes());
                LastHttpContent failure = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
                failure.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(error)));
                out.add(failure);
                return;
            }
        }
        int before = out.size();
        int start = buffer.readerIndex();
        super.decode(ctx, buffer, out);
        if (chunks != null) {
            chunks.consumed(buffer.readerIndex() - start);
        }
        for (int i = before; i < out.size(); i++) {
            Object decoded = out.get(i);
            if (decoded instanceof HttpRequest request) {
                methods.add(request.method());
                if (!request.headers().contains(Refusal.HEADER) && HttpUtil.isTransferEncodingChunked(request)
                        && request.decoderResult().isSuccess()) {
                    chunks = new ChunkSizeScan();
                }
            }
            if (decoded instanceof LastHttpContent) {
                chunks = null;
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
