package io.gatehouse.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlainTargetTest {

    /** What the agent sent before the shortcut: the raw path and query of the parsed URI. */
    private static String parsed(String base, String path) {
        URI uri = URI.create(base + path);
        return uri.getRawQuery() == null ? uri.getRawPath() : uri.getRawPath() + "?" + uri.getRawQuery();
    }

    @Test
    void aPlainPathIsTheSameTargetAParsedUriGives() {
        List<String> paths = List.of("/v1/chat/completions", "/v1/models?limit=10&after=m-1", "/a/b%20c%2Fd",
                "/v2/models/demo/versions/3/infer", "/x?q=a/b?c=@d:e", "/x?", "/a;b=c,d$e!f~g*h'i(j)k+l",
                "/@evil.example/x", "/prefix/../up");
        for (String path : paths) {
            assertThat(PlainTarget.of("", path)).as(path).isEqualTo(parsed("http://127.0.0.1:8000", path));
            assertThat(PlainTarget.of("/base", path)).as(path).isEqualTo(parsed("http://127.0.0.1:8000/base", path));
        }
    }

    @Test
    void aPathThatNeedsAParseIsLeftToIt() {
        for (String path : List.of("/a b", "/a#frag", "/a[0]", "/caf\u00e9", "/a%2", "/a%zz", "/a%", "/a\"b", "/a<b>",
                "/a\\b", "/a|b", "/a{b}", "/a^b", "/a`b", "/a\tb", "/a\u007fb")) {
            assertThat(PlainTarget.of("", path)).as(path).isNull();
        }
    }

    @Test
    void aPrintableStringIsLoggedAsItIsAndControlCharactersAreMasked() {
        String plain = "/v1/chat/completions";
        assertThat(Upstream.printable(plain)).isSameAs(plain);
        assertThat(Upstream.printable("a\nb\u007fc")).isEqualTo("a?b?c");
        assertThat(Upstream.printable("x".repeat(300))).hasSize(200);
    }
}
