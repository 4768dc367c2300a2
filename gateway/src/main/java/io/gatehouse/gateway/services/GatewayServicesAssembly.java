package io.gatehouse.gateway.services;

import io.gatehouse.config.GatewayConfig;
import io.gatehouse.config.StoreConfig;
import io.gatehouse.gateway.identity.GatewaySigningKey;
import io.gatehouse.spi.GatewayServices;
import io.gatehouse.spi.GatewaySigner;
import io.gatehouse.spi.approval.ApprovalService;
import io.gatehouse.spi.audit.AuditLog;
import io.gatehouse.spi.metrics.Metrics;
import io.gatehouse.spi.ratelimit.RateLimitBuckets;
import io.gatehouse.store.Dialect;
import io.gatehouse.store.Store;
import io.gatehouse.store.StoreSettings;
import io.gatehouse.spi.breakglass.BreakGlassService;
import io.gatehouse.spi.breakglass.BreakGlassSettings;
import io.gatehouse.store.approval.Approvals;
import io.gatehouse.store.breakglass.BreakGlassStore;
import io.gatehouse.store.audit.AuditSettings;
import io.gatehouse.store.audit.AuditWriter;
import io.gatehouse.store.audit.FailurePolicy;
import io.gatehouse.store.audit.ReplicaIds;
import io.gatehouse.store.audit.StoreAuditLog;
import io.gatehouse.store.ratelimit.PostgresRateLimitBuckets;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The services a gateway process shares between all its endpoints, opened once and in one place, in
 * this order: the store (schema migrated), this replica's audit writer, the approvals, the shared
 * rate-limit buckets (PostgreSQL only); the gateway's signing key is read on first use. {@link #close()}
 * closes them in the reverse order, so the last exchange records and checkpoint are written before the
 * store closes; if one cannot be opened, those already open are closed.
 *
 * <p>Processors see them only through the SPI ({@link #services()}): {@link AuditLog},
 * {@link ApprovalService}, {@link RateLimitBuckets}, {@link GatewaySigner} and {@link Metrics} — never the
 * store, a connection or a thread pool. The runtime's own parts (the admin API, {@code /readyz}, {@code /metrics})
 * take the concrete services from here.
 */
public final class GatewayServicesAssembly implements AutoCloseable {

    private final ServiceStack opened;
    private final Store store;
    private final AuditWriter auditWriter;
    private final Approvals approvals;
    private final PostgresRateLimitBuckets rateLimits;
    private final GatewaySigningKey signingKey;
    private final BreakGlassStore breakGlass;
    private final GatewayServices services;

    private GatewayServicesAssembly(ServiceStack opened, Store store, AuditWriter auditWriter, Approvals approvals,
                                    PostgresRateLimitBuckets rateLimits, GatewaySigningKey signingKey,
                                    BreakGlassStore breakGlass, Metrics metrics) {
        this.opened = opened;
        this.store = store;
        this.auditWriter = auditWriter;
        this.approvals = approvals;
        this.rateLimits = rateLimits;
        this.signingKey = signingKey;
        this.breakGlass = breakGlass;
        Map<Class<?>, Object> offered = new LinkedHashMap<>();
        offered.put(AuditLog.class, new StoreAuditLog(auditWriter));
        offered.put(ApprovalService.class, approvals);
        if (rateLimits != null) {
            offered.put(RateLimitBuckets.class, rateLimits);
        }
        offered.put(GatewaySigner.class, signingKey);
        offered.put(BreakGlassService.class, breakGlass);
        if (metrics != null) {
            offered.put(Metrics.class, metrics);
        }
        this.services = GatewayServices.of(offered);
    }

    /** Opens the services of {@code config}'s store and data directory; processors find no {@link Metrics}. */
    public static GatewayServicesAssembly open(GatewayConfig config, Clock clock) {
        return open(config, clock, null);
    }

    /**
     * Opens the services of {@code config}'s store and data directory, and offers processors {@code metrics}
     * (the gateway's {@code /metrics}), when not null.
     */
    public static GatewayServicesAssembly open(GatewayConfig config, Clock clock, Metrics metrics) {
        Record section = config.sections().get("breakGlass");
        return open(config.store(), config.dataDirectory(), clock, section instanceof BreakGlassSettings settings
                ? settings : BreakGlassSettings.off(), metrics);
    }

    /**
     * Opens the services of this store and data directory.
     *
     * @throws io.gatehouse.store.StoreException when the store cannot be reached or migrated, or cannot
     *                                           be read at the audit writer's start
     * @throws RuntimeException                  whatever else stopped a service from opening (it is named);
     *                                           every service opened before it is closed again
     */
    public static GatewayServicesAssembly open(StoreConfig storeConfig, Path dataDirectory, Clock clock) {
        return open(storeConfig, dataDirectory, clock, BreakGlassSettings.off());
    }

    /** As {@link #open(StoreConfig, Path, Clock)}, with the {@code breakGlass:} settings of gateway.yaml. */
    public static GatewayServicesAssembly open(StoreConfig storeConfig, Path dataDirectory, Clock clock,
                                               BreakGlassSettings breakGlassSettings) {
        return open(storeConfig, dataDirectory, clock, breakGlassSettings, null);
    }

    /** As {@link #open(StoreConfig, Path, Clock, BreakGlassSettings)}, offering {@code metrics} when not null. */
    public static GatewayServicesAssembly open(StoreConfig storeConfig, Path dataDirectory, Clock clock,
                                               BreakGlassSettings breakGlassSettings, Metrics metrics) {
        ServiceStack stack = new ServiceStack();
        Store store = stack.open("store", () -> Store.open(storeSettings(storeConfig)));
        AuditWriter writer = stack.open("audit writer", () -> AuditWriter.start(store,
                auditSettings(storeConfig, dataDirectory), clock));
        Approvals approvals = stack.open("approvals", () -> Approvals.open(store, writer, clock,
                new Approvals.Settings(storeConfig.approvalPollInterval(), Approvals.Settings.DEFAULTS.sweepInterval())));
        PostgresRateLimitBuckets rateLimits = store.dialect() == Dialect.POSTGRESQL
                ? stack.open("shared rate limits", () -> PostgresRateLimitBuckets.open(store, clock)) : null;
        BreakGlassStore breakGlass = stack.open("break-glass", () -> new BreakGlassStore(store, writer, clock,
                breakGlassSettings));
        try {
            return new GatewayServicesAssembly(stack, store, writer, approvals, rateLimits,
                    GatewaySigningKey.at(dataDirectory), breakGlass, metrics);
        } catch (RuntimeException | Error e) {
            stack.close();
            throw e;
        }
    }

    /** The store's connection settings from config. */
    public static StoreSettings storeSettings(StoreConfig config) {
        return new StoreSettings(config.url(), config.username(),
                config.password() == null ? null : config.password().reveal(), config.poolSize());
    }

    static AuditSettings auditSettings(StoreConfig config, Path dataDirectory) throws IOException {
        String replica = config.replicaId() != null ? config.replicaId() : ReplicaIds.loadOrCreate(dataDirectory);
        return AuditSettings.defaults(replica, dataDirectory)
                .withFailurePolicy(config.onStoreFailure() == StoreConfig.OnFailure.SPOOL ? FailurePolicy.SPOOL
                        : FailurePolicy.FAIL_CLOSED)
                .withCheckpoints(config.checkpointEvery(), config.checkpointInterval());
    }

    /** What processor factories find in {@code EndpointContext.services()} and {@code GatewayContext.services()}. */
    public GatewayServices services() {
        return services;
    }

    public Store store() {
        return store;
    }

    public AuditWriter auditWriter() {
        return auditWriter;
    }

    public Approvals approvals() {
        return approvals;
    }

    /** The shared rate-limit buckets, when the store is PostgreSQL. */
    public Optional<RateLimitBuckets> rateLimits() {
        return Optional.ofNullable(rateLimits);
    }

    public GatewaySigningKey signingKey() {
        return signingKey;
    }

    /** Break-glass windows and uses (the admin API opens windows and acknowledges uses through it). */
    public BreakGlassStore breakGlass() {
        return breakGlass;
    }

    /** The open services, in the order they will be closed. */
    public List<String> openServices() {
        return opened.names();
    }

    /** Closes the rate limits, the approvals, the audit writer (its last events and checkpoint), then the store. */
    @Override
    public void close() {
        opened.close();
    }
}
