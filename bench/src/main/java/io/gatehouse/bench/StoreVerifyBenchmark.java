package io.gatehouse.bench;

import io.gatehouse.store.audit.AuditSettings;
import io.gatehouse.store.audit.AuditVerifier;
import io.gatehouse.store.audit.AuditWriter;
import io.gatehouse.store.audit.EventDraft;
import io.gatehouse.store.audit.TrustedKeys;
import io.gatehouse.store.audit.VerifyReport;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@code audit verify} speed in records per second: one operation verifies a chain of
 * {@value #EVENTS} events (start records of about 1 KB, a checkpoint every 1000) — digests, hashes,
 * links, query columns and checkpoint signatures. H2 and PostgreSQL as in {@link StoreWriteBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class StoreVerifyBenchmark {

    static final int EVENTS = 20_000;

    @Param({"h2", "postgresql"})
    public String store;

    private StoreWriteBenchmark.StoreFixture fixture;

    @Setup
    public void setUp() throws Exception {
        fixture = StoreWriteBenchmark.StoreFixture.open(store);
        AuditSettings settings = AuditSettings.defaults("bench", fixture.data).withCheckpoints(1000, Duration.ofHours(1));
        try (AuditWriter writer = AuditWriter.start(fixture.store, settings, Clock.systemUTC())) {
            List<CompletableFuture<Void>> done = new ArrayList<>();
            for (int i = 1; i < EVENTS; i++) { // the writer's own start event makes EVENTS
                EventDraft draft = StoreWriteBenchmark.startRecord();
                CompletableFuture<Void> f;
                while ((f = writer.append(draft)).isCompletedExceptionally()) {
                    Thread.sleep(5); // the queue is full: let the writer catch up
                }
                done.add(f);
            }
            CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).join();
        }
        VerifyReport report = verify();
        if (!report.ok() || report.chains().get(0).events() != EVENTS) {
            throw new IllegalStateException("the benchmark chain does not verify: " + report.describe());
        }
    }

    @TearDown
    public void tearDown() throws Exception {
        fixture.close();
    }

    private VerifyReport verify() throws Exception {
        try (Connection c = fixture.store.connection()) {
            return AuditVerifier.verify(c, TrustedKeys.none().withStoreKeys(c));
        }
    }

    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public VerifyReport verifiedRecords() throws Exception {
        return verify();
    }
}
