package io.gatehouse.processors.policy;

import io.gatehouse.spi.ConfigDirectory;
import io.gatehouse.spi.ConfigFile;
import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayContext;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Phase;
import io.gatehouse.spi.ProcessorFactory;
import io.gatehouse.spi.GatewaySection;
import io.gatehouse.spi.approval.ApprovalService;
import io.gatehouse.spi.breakglass.BreakGlassService;
import io.gatehouse.spi.breakglass.BreakGlassSettings;
import io.gatehouse.spi.ratelimit.RateLimitBuckets;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * The {@code policy} step. Owns {@code policies/}: each file there is a {@link PolicyFile}, bound strictly
 * and compiled once per config load ({@link PolicySet}); every endpoint's step decides against the same
 * compiled set. Rate limits take from the gateway's shared {@link RateLimitBuckets} when it offers them
 * (a PostgreSQL store, which several replicas share), else from buckets in this process. The factory
 * holds no threads: waiting for shared buckets happens on the service's own pool.
 */
public final class PolicyProcessorFactory implements ProcessorFactory<PolicyConfig> {

    public static final String ID = "policy";
    public static final ConfigDirectory<PolicyFile> DIRECTORY = ConfigDirectory.of("policies", PolicyFile.class);

    private PolicySet policies = PolicySet.empty();
    private RateLimitBuckets rates;
    private ApprovalService approvals;
    private BreakGlassService breakGlass;

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
        approvals = gateway.services().find(ApprovalService.class).orElse(null);
        breakGlass = gateway.services().find(BreakGlassService.class).orElse(null);
    }

    /** {@code breakGlass:} in gateway.yaml: who may break glass (the rules say what may be bypassed). */
    @Override
    public Optional<GatewaySection<?>> gatewaySection() {
        return Optional.of(GatewaySection.of("breakGlass", BreakGlassSettings.class));
    }

    @Override
    public void configureGateway(Record section, GatewayContext gateway) {
        // The settings are read by the gateway's break-glass service, which this step asks at run time.
    }

    /** The policies of the last load (for tools such as {@code policy explain}). */
    public PolicySet policies() {
        return policies;
    }

    /** The gateway's shared buckets, else new ones in this process for this load. */
    private static RateLimitBuckets rateLimits(GatewayContext gateway) {
        return gateway.services().find(RateLimitBuckets.class)
                .orElseGet(() -> new LocalRateLimitBuckets(gateway.clock()));
    }

    @Override
    public GatewayProcessor create(PolicyConfig config, EndpointContext endpoint) {
        if (rates == null) {
            rates = new LocalRateLimitBuckets(endpoint.clock());
        }
        return new PolicyProcessor(policies, rates, approvals, breakGlass, config, endpoint.clock());
    }

    /** For tests: the rate limits of this load live in this process, on this clock. */
    void useLocalRates(Clock clock) {
        rates = new LocalRateLimitBuckets(clock);
    }
}
