package io.gatehouse.processors.approval;

import io.gatehouse.spi.GatewayServices;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.approval.ApprovalService;
import io.gatehouse.spi.approval.Person;
import io.gatehouse.spi.audit.AuditLog;
import io.gatehouse.store.Store;
import io.gatehouse.store.StoreSettings;
import io.gatehouse.store.approval.Approvals;
import io.gatehouse.store.audit.AuditSettings;
import io.gatehouse.store.audit.AuditWriter;
import io.gatehouse.store.audit.StoreAuditLog;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A real embedded store with its audit trail and approvals, for the approval step's tests. */
final class ApprovalStore implements AutoCloseable {

    static final String ISSUER = "https://sso.example/realms/gatehouse";

    final Store store;
    final AuditWriter trail;
    final Approvals approvals;

    ApprovalStore(Path temp, Clock clock) throws Exception {
        store = Store.open(StoreSettings.embedded(temp.resolve("data")));
        trail = AuditWriter.start(store, AuditSettings.defaults("r-test", temp.resolve("data")), clock);
        approvals = Approvals.open(store, trail, clock, new Approvals.Settings(Duration.ofMillis(100),
                Duration.ofHours(1)));
    }

    GatewayServices services() {
        return GatewayServices.of(Map.of(ApprovalService.class, approvals, AuditLog.class, new StoreAuditLog(trail)));
    }

    static Identity identity(String user, String... groups) {
        return new Identity("sub-" + user, user, ISSUER, "cli", Set.of(groups), Set.of(), "1", List.of("pwd"),
                Instant.parse("2026-01-01T00:00:00Z"), null, Instant.parse("2026-01-01T01:00:00Z"), "sid-" + user,
                Map.of());
    }

    static Person person(String user, String... groups) {
        return Person.of(identity(user, groups));
    }

    @Override
    public void close() {
        approvals.close();
        trail.close();
        store.close();
    }
}
