package io.gatehouse.processors.approval;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.testkit.TestExchange;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestDigestTest {

    private static String digest(TestExchange.Builder b) {
        return RequestDigest.of("openai", b.build().request(), List.of("Content-Type", "OpenAI-Beta"));
    }

    private static TestExchange.Builder base() {
        return TestExchange.post("/v1/batches").header("Content-Type", "application/json")
                .header("Authorization", "Bearer token-1").body("{\"a\":1}");
    }

    @Test
    void theSameRequestWithAnotherTokenOrUnboundHeaderHasTheSameDigest() {
        assertThat(digest(base())).isEqualTo(digest(TestExchange.post("/v1/batches")
                .header("Content-Type", "application/json").header("Authorization", "Bearer token-2")
                .header("X-Trace", "t").body("{\"a\":1}")));
        assertThat(digest(base())).matches("[0-9a-f]{64}");
    }

    @Test
    void bodyMethodPathQueryAndBoundHeadersEachChangeTheDigest() {
        String original = digest(base());

        assertThat(digest(base().body("{\"a\":2}"))).isNotEqualTo(original);
        assertThat(digest(TestExchange.request("PUT", "/v1/batches").header("Content-Type", "application/json")
                .body("{\"a\":1}"))).isNotEqualTo(original);
        assertThat(digest(TestExchange.post("/v1/files").header("Content-Type", "application/json")
                .body("{\"a\":1}"))).isNotEqualTo(original);
        assertThat(digest(base().query("x=1"))).isNotEqualTo(original);
        assertThat(digest(base().header("OpenAI-Beta", "assistants=v2"))).isNotEqualTo(original);
        assertThat(RequestDigest.of("other", base().build().request(), List.of("Content-Type")))
                .isNotEqualTo(RequestDigest.of("openai", base().build().request(), List.of("Content-Type")));
    }
}
