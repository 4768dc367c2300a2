package io.gatehouse.gateway.http;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;

/**
 * Netty's response encoder, told which answers have no body: the answer to a HEAD request keeps its
 * headers (Content-Length included) and drops its content, so the next answer on a kept-alive
 * connection does not start mid-body. Camel sets up a bare {@code HttpResponseEncoder}, which knows no
 * request methods; this is what Netty's {@code HttpServerCodec} does, with the methods noted by
 * {@link GatewayRequestDecoder}.
 */
final class HeadAwareResponseEncoder extends HttpResponseEncoder {

    private final RequestMethods methods;

    HeadAwareResponseEncoder(RequestMethods methods) {
        this.methods = methods;
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpResponse response) {
        if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
            return super.isContentAlwaysEmpty(response); // 100 Continue: the final answer is still to come
        }
        HttpMethod method = methods.next();
        return HttpMethod.HEAD.equals(method) || super.isContentAlwaysEmpty(response);
    }
}
