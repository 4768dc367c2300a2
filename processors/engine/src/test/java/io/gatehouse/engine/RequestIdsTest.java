package io.gatehouse.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RequestIdsTest {

    @Test
    void anIdIsAVersion7UuidOfTheIetfVariant() {
        UUID id = UUID.fromString(RequestIds.next());
        assertThat(id.version()).isEqualTo(7);
        assertThat(id.variant()).isEqualTo(2);
    }

    @Test
    void theIdCarriesItsMillisecondInItsFirst48Bits() {
        long millis = 1_796_000_000_123L;
        UUID id = RequestIds.next(millis);
        assertThat(id.getMostSignificantBits() >>> 16).isEqualTo(millis);
    }

    @Test
    void idsOfLaterMillisecondsSortAfterEarlierOnesAsText() {
        String earlier = RequestIds.next(1_796_000_000_000L).toString();
        String later = RequestIds.next(1_796_000_000_001L).toString();
        assertThat(later).isGreaterThan(earlier);
    }

    @Test
    void idsOfOneMillisecondStillDifferInTheirRandomBits() {
        Set<UUID> ids = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            ids.add(RequestIds.next(1_796_000_000_000L));
        }
        assertThat(ids).hasSize(10_000);
    }
}
