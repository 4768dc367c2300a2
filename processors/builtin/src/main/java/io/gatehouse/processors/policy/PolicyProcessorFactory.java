package io.gatehouse.processors.policy;

import io.gatehouse.spi.ConfigDirectory;
import io.gatehouse.spi.ConfigFile;
import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayContext;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Phase;
import io.gatehouse.spi.ProcessorFactory;
import io.gatehouse.store.Dialect;
import io.gatehouse.store.Store;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code policy} step. Owns {@code policies/}: each file there is a {@link PolicyFile}, bound strictly
 * and compiled once per config load ({@link PolicySet}); every endpoint's step decides against the same
 * compiled set. Rate limits live in this process, or in the store when the store is PostgreSQL (several
 * replicas share it).
 */
public final class PolicyProcessorFactory implements ProcessorFactory<PolicyConfig> {

    public static final String ID = "policy";
    public static final ConfigDirectory<PolicyFile> DIRECTORY = ConfigDirectory.of("policies", PolicyFile.class);

    /** Shared-rate calls wait for PostgreSQL on these threads, never on a request thread. */
    private static final ThreadPoolExecutor RATE_EXECUTOR = rateExecutor();
    private static final ScheduledExecutorService CLEANER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gatehouse-policy-rate-cleaner");
        t.setDaemon(true);
        return t;
    });

    /** The shared (PostgreSQL) limits of the latest load, whose expired rows the cleaner removes. */
    private static volatile RateLimits latestShared;

    static {
        CLEANER.scheduleWithFixedDelay(() -> {
            RateLimits shared = latestShared;
            if (shared != null) {
                try {
                    shared.cleanUp();
                } catch (RuntimeException e) {
                    // the next round tries again
                }
            }
        }, 1, 1, TimeUnit.MINUTES);
    }

    private PolicySet policies = PolicySet.empty();
    private RateLimits rates;

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Class<PolicyConfig> configType() {
        return PolicyConfig.class;
    }

    @Override
    public Phase phase() {
        return Phase.AUTHORIZE;
    }

    @Override
    public Optional<ConfigDirectory<?>> configDirectory() {
        return Optional.of(DIRECTORY);
    }

    /** Compiles {@code policies/*.yaml}; a rule naming an unknown endpoint is an error at its line. */
    @Override
    public void configureDirectory(List<ConfigFile<?>> files, GatewayContext gateway) {
        policies = PolicySet.compile(files, gateway.endpoints().keySet());
        rates = rateLimits(gateway);
    }

    /** The policies of the last load (for tools such as {@code policy explain}). */
    public PolicySet policies() {
        return policies;
    }

    private static RateLimits rateLimits(GatewayContext gateway) {
        Optional<Store> store = gateway.services().find(Store.class);
        if (store.isPresent() && store.get().dialect() == Dialect.POSTGRESQL) {
            RateLimits shared = RateLimits.shared(store.get().dataSource(), gateway.clock());
            latestShared = shared;
            return shared;
        }
        return RateLimits.local(gateway.clock());
    }

    @Override
    public GatewayProcessor create(PolicyConfig config, EndpointContext endpoint) {
        if (rates == null) {
            rates = RateLimits.local(endpoint.clock());
        }
        return new PolicyProcessor(policies, rates, RATE_EXECUTOR, config, endpoint.clock());
    }

    /** For tests: the rate limits of this load live in this process, on this clock. */
    void useLocalRates(Clock clock) {
        rates = RateLimits.local(clock);
    }

    private static ThreadPoolExecutor rateExecutor() {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(4, 4, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(10_000), r -> {
            Thread t = new Thread(r, "gatehouse-policy-rates-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }
}
