package io.gatehouse.samplemodel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class SampleModelSettingsTest {

    @Test
    void fillsInTheDefaultsForNullHostModelsAndDelay() {
        SampleModelSettings settings = new SampleModelSettings(null, 8000, "k", null, null);

        assertThat(settings.host()).isEqualTo("127.0.0.1");
        assertThat(settings.models()).containsExactly("demo-small", "demo-large");
        assertThat(settings.tokenDelay()).isEqualTo(Duration.ofMillis(50));
        assertThat(settings.maxThreads()).isEqualTo(512);
    }

    @Test
    void requiresAnApiKey() {
        assertThatThrownBy(() -> SampleModelSettings.loopback(" "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("apiKey is required: requests must carry Authorization: Bearer <apiKey>");
        assertThatThrownBy(() -> SampleModelSettings.loopback(null))
                .hasMessage("apiKey is required: requests must carry Authorization: Bearer <apiKey>");
    }

    @Test
    void rejectsOutOfRangeValuesNamingThem() {
        SampleModelSettings ok = SampleModelSettings.loopback("k");

        assertThatThrownBy(() -> new SampleModelSettings("h", 70000, "k", null, null))
                .hasMessage("port must be between 0 and 65535, got 70000");
        assertThatThrownBy(() -> ok.withTokenDelay(Duration.ofMillis(-1)))
                .hasMessage("tokenDelay must not be negative, got PT-0.001S");
        assertThatThrownBy(() -> ok.withMaxThreads(0)).hasMessage("maxThreads must be at least 1, got 0");
        assertThatThrownBy(() -> ok.withModels(List.of())).hasMessage("models must name at least one model");
        assertThatThrownBy(() -> ok.withModels(List.of("a", "a")))
                .hasMessage("models must be distinct and not blank, got [a, a]");
    }

    @Test
    void toStringNeverShowsTheApiKey() {
        assertThat(SampleModelSettings.loopback("s3cret").toString())
                .isEqualTo("SampleModelSettings[host=127.0.0.1, port=0, apiKey=***, models=[demo-small, demo-large], "
                        + "tokenDelay=PT0.05S, maxThreads=512, grpcPort=0, answerPrefix=You said: ]")
                .doesNotContain("s3cret");
    }
}
