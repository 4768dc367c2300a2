package io.gatehouse.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class SinceTest {

    private static final Clock NOW = Clock.fixed(Instant.parse("2026-03-10T12:00:00Z"), ZoneOffset.UTC);

    @Test
    void aDurationCountsBackFromNow() {
        assertThat(Since.parse("90s", NOW)).isEqualTo(Instant.parse("2026-03-10T11:58:30Z"));
        assertThat(Since.parse("15m", NOW)).isEqualTo(Instant.parse("2026-03-10T11:45:00Z"));
        assertThat(Since.parse("1h", NOW)).isEqualTo(Instant.parse("2026-03-10T11:00:00Z"));
        assertThat(Since.parse("7d", NOW)).isEqualTo(Instant.parse("2026-03-03T12:00:00Z"));
    }

    @Test
    void anInstantOrADateIsTakenAsIs() {
        assertThat(Since.parse("2026-03-01T10:00:00Z", NOW)).isEqualTo(Instant.parse("2026-03-01T10:00:00Z"));
        assertThat(Since.parse("2026-03-01", NOW)).isEqualTo(Instant.parse("2026-03-01T00:00:00Z"));
    }

    @Test
    void anythingElseIsRefusedNamingWhatIsExpected() {
        assertThatThrownBy(() -> Since.parse("yesterday", NOW)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'yesterday' is not a duration back from now (90s, 15m, 1h, 7d), an instant"
                        + " (2026-03-01T10:00:00Z) or a date (2026-03-01)");
    }
}
