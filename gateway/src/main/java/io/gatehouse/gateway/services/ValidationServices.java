package io.gatehouse.gateway.services;

import io.gatehouse.gateway.identity.GatewaySigningKey;
import io.gatehouse.spi.GatewayServices;
import io.gatehouse.spi.GatewaySigner;
import io.gatehouse.spi.approval.ApprovalService;
import io.gatehouse.spi.audit.AuditLog;
import io.gatehouse.store.approval.Approvals;
import io.gatehouse.store.audit.AuditTrail;
import io.gatehouse.store.audit.StoreAuditLog;
import java.nio.file.Path;
import java.util.Map;

/**
 * The services of a config that is only checked ({@code config validate}), not served: the same types as
 * {@link GatewayServicesAssembly#services()}, without opening the store. Appends and approvals fail (as
 * when the store is down); the signing key reads nothing until it signs. Close it when done.
 */
public final class ValidationServices implements AutoCloseable {

    static final String REASON = "config validate does not open the store";

    private final Approvals approvals;
    private final GatewayServices services;

    private ValidationServices(Path dataDirectory) {
        this.approvals = Approvals.unavailable(REASON);
        this.services = GatewayServices.of(Map.of(
                AuditLog.class, new StoreAuditLog(AuditTrail.unavailable(REASON)),
                ApprovalService.class, approvals,
                GatewaySigner.class, GatewaySigningKey.at(dataDirectory)));
    }

    public static ValidationServices of(Path dataDirectory) {
        return new ValidationServices(dataDirectory);
    }

    public GatewayServices services() {
        return services;
    }

    @Override
    public void close() {
        approvals.close();
    }
}
