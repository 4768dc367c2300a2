package io.gatehouse.store.breakglass;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.approval.Person;
import io.gatehouse.spi.breakglass.BreakGlassSettings;
import io.gatehouse.spi.breakglass.BreakGlassUse;
import io.gatehouse.spi.breakglass.BreakGlassWindow;
import io.gatehouse.store.Dialect;
import io.gatehouse.store.TestStores;
import io.gatehouse.store.approval.ApprovalRefusedException;
import io.gatehouse.store.audit.AuditSettings;
import io.gatehouse.store.audit.AuditWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Break-glass windows and uses in the store (H2): who may open, how long, use and review. */
class BreakGlassStoreTest {

    private static final Person ERIN = new Person("iss", "erin-id", "erin", Set.of("incident-responders"), null,
            List.of());
    private static final Person BOB = new Person("iss", "bob-id", "bob", Set.of("ml-engineers"), null, List.of());
    private static final Person CAROL = new Person("iss", "carol-id", "carol", Set.of("ml-leads"), null, List.of());
    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    @TempDir
    Path temp;

    @Test
    void aResponderOpensAWindowUsesItAndAReviewerNotTheUserAcknowledgesTheUse() throws Exception {
        Clock clock = Clock.fixed(T0, ZoneOffset.UTC);
        try (TestStores stores = TestStores.create(Dialect.H2, temp);
             AuditWriter writer = AuditWriter.start(stores.store(), AuditSettings.defaults("r1", temp.resolve("r1")),
                     clock);
             BreakGlassStore breakGlass = new BreakGlassStore(stores.store(), writer, clock, new BreakGlassSettings(
                     Set.of("incident-responders"), Set.of("ml-leads"), Duration.ofHours(1)))) {
            assertThatThrownBy(() -> breakGlass.open(BOB, "curious", null)).isInstanceOf(ApprovalRefusedException.class)
                    .hasMessageContaining("bob is not in [incident-responders]");
            assertThatThrownBy(() -> breakGlass.open(ERIN, "INC-42", Duration.ofHours(2)))
                    .hasMessageContaining("at most 1h, not 2h");
            assertThat(breakGlass.openWindow(ERIN).get(10, TimeUnit.SECONDS)).isEmpty();

            BreakGlassWindow window = breakGlass.open(ERIN, "INC-42", Duration.ofMinutes(30));
            BreakGlassUse use = breakGlass.recordUse(breakGlass.openWindow(ERIN).get(10, TimeUnit.SECONDS)
                    .orElseThrow(), ERIN, "rec-1", "openai", new DecidingRule("auditors", "no-model-access", "denied"),
                    "restoring service").get(10, TimeUnit.SECONDS);

            assertThat(window.expiresAt()).isEqualTo(T0.plus(Duration.ofMinutes(30)));
            assertThat(breakGlass.uses(true, 10)).extracting(BreakGlassUse::id).containsExactly(use.id());
            assertThatThrownBy(() -> breakGlass.acknowledge(use.id(), new Person("iss", "erin-id", "erin",
                    Set.of("ml-leads"), null, List.of()), "fine")).hasMessageContaining("broke glass in " + use.id()
                    + " and so cannot acknowledge it");
            BreakGlassUse acked = breakGlass.acknowledge(use.id(), CAROL, "checked the timeline");
            assertThat(acked.reviewer()).isEqualTo("carol");
            assertThat(breakGlass.uses(true, 10)).isEmpty();
            assertThat(breakGlass.uses(false, 10)).hasSize(1);
            assertThat(breakGlass.close(ERIN)).isPresent();
            assertThat(breakGlass.openWindow(ERIN).get(10, TimeUnit.SECONDS)).isEmpty();
        }
    }
}
