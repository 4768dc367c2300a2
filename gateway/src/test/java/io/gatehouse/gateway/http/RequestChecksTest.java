package io.gatehouse.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RequestChecksTest {

    private static String targetRefusal(String uri) {
        Refusal r = RequestChecks.target(HttpMethod.GET, uri);
        return r == null ? null : r.status() + " " + r.detail();
    }

    @Test
    void anOrdinaryPathWithAQueryIsServed() {
        assertThat(targetRefusal("/v1/models")).isNull();
        assertThat(targetRefusal("/v1/models?a=%20b&c=d?e")).isNull();
        assertThat(targetRefusal("/v1/models/org:model@v1")).isNull();
    }

    @Test
    void dotSegmentsPlainOrEncodedAreRefusedNamingTheSegment() {
        assertThat(targetRefusal("/public/../v1")).isEqualTo("400 the path has a dot segment '..'; send the resolved path");
        assertThat(targetRefusal("/public/%2e%2E/v1")).isEqualTo("400 the path has a dot segment '%2e%2E'; send the"
                + " resolved path");
        assertThat(targetRefusal("/v1/./models")).startsWith("400 the path has a dot segment '.'");
    }

    @Test
    void encodedSlashesBackslashesBadEscapesAndEmptySegmentsAreRefused() {
        assertThat(targetRefusal("/public/..%2fv1")).startsWith("400 the path has an encoded '/', '\\' or NUL");
        assertThat(targetRefusal("/public\\..\\v1")).isEqualTo("400 the request target has the character '\\' at"
                + " position 7, which must be %-encoded");
        assertThat(targetRefusal("/v1/models?x=%zz")).startsWith("400 the request target has a '%' that is not followed");
        assertThat(targetRefusal("//v1/models")).startsWith("400 the path has an empty segment");
        assertThat(targetRefusal("*")).startsWith("400 the request target must be a path starting with '/'");
    }

    @Test
    void connectTraceAndUnknownMethodsAre405() {
        assertThat(RequestChecks.target(HttpMethod.CONNECT, "127.0.0.1:443").status()).isEqualTo(405);
        assertThat(RequestChecks.target(HttpMethod.TRACE, "/v1").status()).isEqualTo(405);
        assertThat(RequestChecks.target(HttpMethod.valueOf("BREW"), "/v1").status()).isEqualTo(405);
    }

    @Test
    void aSanitisedTargetEscapesWhatItRefusedAndKeepsTheQuery() {
        assertThat(RequestChecks.sanitise("/public\\..\\v1?x=%zz")).isEqualTo("/public%5C..%5Cv1?x=%25zz");
    }

    @Test
    void contentLengthBesideTransferEncodingAndAnyCodingButChunkedAreBadFraming() {
        HttpRequest both = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1");
        both.headers().set("Host", "gw").set("Content-Length", "5").set("Transfer-Encoding", "chunked");
        assertThat(RequestChecks.framing(both).detail()).isEqualTo("the request has both Content-Length and"
                + " Transfer-Encoding; send one of them");

        HttpRequest gzip = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/v1");
        gzip.headers().set("Host", "gw").set("Transfer-Encoding", "gzip, chunked");
        assertThat(RequestChecks.framing(gzip).detail()).isEqualTo("Transfer-Encoding must be exactly 'chunked', got"
                + " 'gzip, chunked'");

        HttpRequest noHost = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/v1");
        assertThat(RequestChecks.framing(noHost).detail()).isEqualTo("an HTTP/1.1 request needs a Host header");
    }

    @Test
    void aChunkSizeThatWouldWrapAt2To32IsRefusedBeforeNettyReadsIt() {
        ByteBuf wrapping = Unpooled.copiedBuffer("100000005\r\nhello\r\n0\r\n\r\n", StandardCharsets.US_ASCII);
        assertThat(new ChunkSizeScan().check(wrapping)).isEqualTo("a chunk size has more than 8 hex digits");

        ByteBuf leadingZeros = Unpooled.copiedBuffer("000000005;ext=1\r\nhello\r\n0\r\n\r\n", StandardCharsets.US_ASCII);
        assertThat(new ChunkSizeScan().check(leadingZeros)).isNull();

        ByteBuf overMax = Unpooled.copiedBuffer("80000000\r\n", StandardCharsets.US_ASCII);
        assertThat(new ChunkSizeScan().check(overMax)).isEqualTo("a chunk size is over 2^31 - 1 bytes");
    }
}
