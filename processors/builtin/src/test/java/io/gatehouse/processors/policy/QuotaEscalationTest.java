package io.gatehouse.processors.policy;

import static io.gatehouse.processors.policy.Policies.caller;
import static io.gatehouse.processors.policy.Policies.groups;
import static io.gatehouse.processors.policy.Policies.policy;
import static io.gatehouse.processors.policy.Policies.rule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.ApprovalRequirement;
import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.ConfigFile;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.GatewayContext;
import io.gatehouse.spi.GatewayServices;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.QuotaEscalation;
import io.gatehouse.spi.StandardAttributes;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.TestClock;
import io.gatehouse.testkit.TestExchange;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A rate limit with {@code onExceeded: require-approval}: over it, the request goes to the approval step. */
class QuotaEscalationTest {

    private static final Identity ALICE = caller("alice", "analysts");

    private final TestClock clock = TestClock.atDefaultStart();

    private ProcessorHarness<PolicyConfig> harness(RateLimitConfig limit) {
        PolicyProcessorFactory factory = new PolicyProcessorFactory();
        PolicyFile analysts = policy("analysts", groups("analysts"),
                rule("chat", Effect.ALLOW).operations(OperationKind.CHAT).rate(limit));
        factory.configureDirectory(List.<ConfigFile<?>>of(new ConfigFile<>("policies/analysts.yaml", analysts,
                path -> new int[] {1, 1})), new GatewayContext(Path.of("/tmp"), clock, GatewayServices.none(),
                Map.of("openai", "openai")));
        return ProcessorHarness.builder(factory, PolicyConfig.defaults()).endpointId("openai").protocol("openai")
                .clock(clock).build();
    }

    private static TestExchange chat() {
        return TestExchange.post("/v1/chat/completions").endpointId("openai").identity(ALICE).body("{}")
                .operation(new Operation("openai", OperationKind.CHAT, "demo-small", false, 1, OptionalInt.of(10)))
                .build();
    }

    @Test
    void theRequestOverAnEscalatingLimitProceedsToTheApprovalStepAskingForMoreOfThatQuota() {
        ProcessorHarness<PolicyConfig> harness = harness(new RateLimitConfig(RateLimitConfig.Per.IDENTITY, 1L, null,
                Duration.ofHours(1), RateLimitConfig.OnExceeded.REQUIRE_APPROVAL, Set.of("ml-leads"), 10L,
                Duration.ofMinutes(30)));
        TestExchange first = chat();
        TestExchange over = chat();

        assertThat(harness.request(first)).isEqualTo(Outcome.proceed());
        assertThat(harness.request(over)).isEqualTo(Outcome.proceed());

        assertThat(first.attributes().get(StandardAttributes.APPROVAL_REQUIRED)).isEmpty();
        ApprovalRequirement need = over.attributes().get(StandardAttributes.APPROVAL_REQUIRED).orElseThrow();
        assertThat(need.rule()).isEqualTo(new DecidingRule("analysts", "chat",
                "1 requests per 1h per identity exceeded; more needs an approval"));
        assertThat(need.approverGroups()).containsExactly("ml-leads");
        QuotaEscalation quota = need.quota();
        assertThat(quota.unit()).isEqualTo("requests");
        assertThat(quota.limit()).isEqualTo("1 requests per 1h per identity");
        assertThat(quota.maxExtra()).isEqualTo(10);
        assertThat(quota.maxFor()).isEqualTo(Duration.ofMinutes(30));
        assertThat(quota.scope()).startsWith("analysts/chat#0/i:");
    }

    @Test
    void aLimitWithoutEscalationStillAnswers429() {
        ProcessorHarness<PolicyConfig> harness = harness(new RateLimitConfig(RateLimitConfig.Per.IDENTITY, 1L, null,
                Duration.ofHours(1)));
        harness.request(chat());

        Outcome over = harness.request(chat());

        assertThat(over).isInstanceOf(Outcome.Deny.class);
        assertThat(((Outcome.Deny) over).status()).isEqualTo(429);
    }

    @Test
    void escalationDefaultsGrantAtMostTheLimitItselfForOneInterval() {
        RateLimitConfig limit = new RateLimitConfig(RateLimitConfig.Per.GROUP, null, 5000L, Duration.ofDays(1),
                RateLimitConfig.OnExceeded.REQUIRE_APPROVAL, null, null, null);

        assertThat(limit.maxExtra()).isEqualTo(5000L);
        assertThat(limit.maxExtraFor()).isEqualTo(Duration.ofDays(1));
        assertThat(limit.approvers()).isEmpty();
    }

    @Test
    void escalationSettingsOnALimitThatRejectsAreAnErrorNamingTheField() {
        assertThatThrownBy(() -> new RateLimitConfig(RateLimitConfig.Per.IDENTITY, 5L, null, Duration.ofMinutes(1),
                null, null, 10L, null)).isInstanceOf(ConfigException.class)
                .hasMessage("only a limit with onExceeded: require-approval has maxExtra");
        assertThatThrownBy(() -> new RateLimitConfig(RateLimitConfig.Per.IDENTITY, 5L, null, Duration.ofMinutes(1),
                RateLimitConfig.OnExceeded.REQUIRE_APPROVAL, null, 0L, null)).isInstanceOf(ConfigException.class)
                .hasMessage("must be between 1 and 2147483647, got 0");
    }
}
