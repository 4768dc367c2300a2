package io.gatehouse.gateway.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.config.StoreConfig;
import io.gatehouse.gateway.admin.GatewayMetrics;
import io.gatehouse.gateway.admin.ProcessorMetrics;
import io.gatehouse.spi.GatewayServices;
import io.gatehouse.spi.GatewaySigner;
import io.gatehouse.spi.ServiceUnavailableException;
import io.gatehouse.spi.approval.ApprovalService;
import io.gatehouse.spi.audit.AuditEntry;
import io.gatehouse.spi.audit.AuditLog;
import io.gatehouse.spi.breakglass.BreakGlassSettings;
import io.gatehouse.spi.metrics.Metrics;
import io.gatehouse.spi.ratelimit.RateLimitBuckets;
import io.gatehouse.store.Store;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's services on an embedded store: opened once, offered through the SPI, closed in reverse. */
class GatewayServicesAssemblyTest {

    @TempDir
    Path data;

    @Test
    void theStoreAuditWriterAndApprovalsOpenInOrderAndProcessorsSeeThemOnlyThroughTheSpi() {
        try (GatewayServicesAssembly assembly = GatewayServicesAssembly.open(StoreConfig.defaults(data), data,
                Clock.systemUTC())) {
            assertThat(assembly.openServices()).containsExactly("break-glass", "approvals", "audit writer", "store");
            GatewayServices services = assembly.services();

            assertThat(services.find(AuditLog.class)).isPresent();
            assertThat(services.find(ApprovalService.class)).containsSame(assembly.approvals());
            assertThat(services.find(GatewaySigner.class)).containsSame(assembly.signingKey());
            assertThat(services.find(RateLimitBuckets.class)).as("an H2 store is one node: buckets stay in memory")
                    .isEmpty();
            assertThat(services.find(Store.class)).as("processors never get the store").isEmpty();
            assertThat(assembly.rateLimits()).isEmpty();
            assertThat(services.find(Metrics.class)).as("no registry was given").isEmpty();
        }
    }

    @Test
    void theMetricsOfTheGatewaysRegistryAreOfferedToProcessors() {
        Metrics metrics = new ProcessorMetrics(new GatewayMetrics().registry());
        try (GatewayServicesAssembly assembly = GatewayServicesAssembly.open(StoreConfig.defaults(data), data,
                Clock.systemUTC(), BreakGlassSettings.off(), metrics)) {
            assertThat(assembly.services().find(Metrics.class)).containsSame(metrics);
        }
    }

    @Test
    void anEventAppendedThroughTheAuditLogServiceIsDurableInTheStore() throws Exception {
        try (GatewayServicesAssembly assembly = GatewayServicesAssembly.open(StoreConfig.defaults(data), data,
                Clock.systemUTC())) {
            AuditLog log = assembly.services().require(AuditLog.class, "test");

            log.append(new AuditEntry(AuditEntry.Kind.START, "rec-1", Instant.parse("2026-03-01T10:00:00Z"), "chat",
                    "{\"request\":{}}")).toCompletableFuture().get(30, TimeUnit.SECONDS);

            assertThat(assembly.auditWriter().health().committed()).isGreaterThanOrEqualTo(1);
            assertThat(log.health().accepting()).isTrue();
        }
    }

    @Test
    void closingClosesTheServicesAndThenReleasesTheStoreFile() throws Exception {
        GatewayServicesAssembly assembly = GatewayServicesAssembly.open(StoreConfig.defaults(data), data,
                Clock.systemUTC());
        AuditLog log = assembly.services().require(AuditLog.class, "test");
        assertThat(storeFileIsFree()).as("the open store holds its file").isFalse();

        assembly.close();

        assertThat(assembly.openServices()).isEmpty();
        assertThat(storeFileIsFree()).isTrue();
        assertThat(assembly.store().check()).isNotNull();
        assertThatThrownBy(() -> log.append(new AuditEntry(AuditEntry.Kind.START, "late", Instant.now(), "chat", "{}"))
                .toCompletableFuture().join()).isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(ServiceUnavailableException.class);
    }

    @Test
    void whenTheAuditWriterCannotStartTheStoreOpenedBeforeItIsClosedAgain() throws Exception {
        Files.writeString(data.resolve("audit"), "a file where the audit key directory belongs");

        assertThatThrownBy(() -> GatewayServicesAssembly.open(StoreConfig.defaults(data), data, Clock.systemUTC()))
                .isInstanceOf(ServiceStack.ServiceOpeningException.class)
                .hasMessageStartingWith("cannot open the audit writer: ");

        assertThat(storeFileIsFree()).as("the store was closed again").isTrue();
    }

    @Test
    void anUnreachableStoreOpensNothing() {
        StoreConfig unreachable = new StoreConfig("jdbc:postgresql://127.0.0.1:1/gatehouse", null, null, 2,
                StoreConfig.OnFailure.FAIL_CLOSED, "r-test", 1000, java.time.Duration.ofSeconds(60));

        assertThatThrownBy(() -> GatewayServicesAssembly.open(unreachable, data, Clock.systemUTC()))
                .isInstanceOf(ServiceUnavailableException.class)
                .hasMessageStartingWith("cannot connect to the store jdbc:postgresql://127.0.0.1:1/gatehouse");
        assertThat(data.resolve("audit")).doesNotExist();
    }

    @Test
    void validationServicesOfferTheSameTypesAndRefuseEveryAppendAndHold() {
        try (ValidationServices validation = ValidationServices.of(data)) {
            GatewayServices services = validation.services();
            AuditLog log = services.require(AuditLog.class, "test");

            assertThatThrownBy(() -> log.append(new AuditEntry(AuditEntry.Kind.START, "r", Instant.now(), "chat", "{}"))
                    .toCompletableFuture().join()).cause().isInstanceOf(ServiceUnavailableException.class)
                    .hasMessage("config validate does not open the store");
            assertThat(services.find(ApprovalService.class)).isPresent();
            assertThat(services.find(GatewaySigner.class)).isPresent();
        }
        assertThat(data.resolve("store")).as("nothing is written").doesNotExist();
        assertThat(data.resolve("identity")).doesNotExist();
    }

    /** Whether this process could lock the embedded store's file, i.e. no open store holds it. */
    private boolean storeFileIsFree() throws Exception {
        Path file = data.resolve("store").resolve("gatehouse.mv.db");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                return false;
            }
            lock.release();
            return true;
        } catch (java.nio.channels.OverlappingFileLockException e) {
            return false;
        }
    }
}
