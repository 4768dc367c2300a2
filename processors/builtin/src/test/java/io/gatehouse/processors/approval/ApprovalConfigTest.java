package io.gatehouse.processors.approval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.Secret;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ApprovalConfigTest {

    @Test
    void everyLimitHasItsDefault() {
        ApprovalConfig config = ApprovalConfig.of(Set.of("ml-leads"));

        assertThat(config.pendingTtl()).isEqualTo(Duration.ofHours(1));
        assertThat(config.grantTtl()).isEqualTo(Duration.ofMinutes(15));
        assertThat(config.maxUses()).isEqualTo(1);
        assertThat(config.approvalsNeeded()).isEqualTo(1);
        assertThat(config.maxWait()).isEqualTo(Duration.ofSeconds(120));
        assertThat(config.requireReason()).isFalse();
        assertThat(config.digestHeaders()).containsExactly("Content-Type");
        assertThat(config.when().operations()).isEmpty();
    }

    @Test
    void approversAreRequired() {
        assertThatThrownBy(() -> ApprovalConfig.of(Set.of())).isInstanceOf(ConfigException.class)
                .hasMessage("name the groups whose members may approve, e.g. approvers: [ml-leads]")
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("approvers");
    }

    @Test
    void outOfRangeValuesNameTheFieldAndTheRange() {
        assertThatThrownBy(() -> new ApprovalConfig(null, Set.of("g"), 11, null, null, null, null, null, null, null))
                .hasMessage("must be between 1 and 10, got 11");
        assertThatThrownBy(() -> new ApprovalConfig(null, Set.of("g"), null, null, null, Duration.ofSeconds(5), null,
                null, null, null)).hasMessage("must be between 1m and 7d, got 5s".replace("7d", "168h"));
        assertThatThrownBy(() -> new ApprovalConfig(null, Set.of("g"), null, null, null, null, Duration.ofDays(2),
                null, null, null)).hasMessage("must be between 10s and 24h, got 48h");
        assertThatThrownBy(() -> new ApprovalConfig(null, Set.of("g"), null, null, null, null, null, 0, null, null))
                .hasMessage("must be between 1 and 1000, got 0");
        assertThatThrownBy(() -> new ApprovalConfig(null, Set.of("g"), null, null, null, null, null, null,
                Duration.ofHours(2), null)).hasMessage("must be between 0s and 1h, got 2h");
    }

    @Test
    void theGatewaysOwnAndCredentialHeadersCannotBeBoundIntoTheDigest() {
        assertThatThrownBy(() -> new ApprovalConfig(null, Set.of("g"), null, null, null, null, null, null, null,
                List.of("Gatehouse-Approval"))).hasMessage("'Gatehouse-Approval' changes between a request and its"
                + " retry and cannot be bound into an approval");
        assertThatThrownBy(() -> new ApprovalConfig(null, Set.of("g"), null, null, null, null, null, null, null,
                List.of("Authorization"))).hasMessageContaining("'Authorization' changes");
    }

    @Test
    void anUnknownOperationKindIsRefusedListingTheKnownOnes() {
        assertThatThrownBy(() -> new ApprovalTrigger(Set.of("batch"), null, null)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("'batch' is not an operation kind (expected one of batch-create, chat,");
    }

    @Test
    void anInvalidCelConditionIsRefusedAtLoad() {
        assertThatThrownBy(() -> new ApprovalTrigger(null, null, "operation.batch >"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("is not a valid CEL condition: ")
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("when.condition");
    }

    @Test
    void mfaNamesAtLeastOneProof() {
        assertThatThrownBy(() -> new ApproverMfa(Set.of(), null)).hasMessage("name at least one acr value or amr"
                + " method that proves a second factor, e.g. requireMfa: {amr: [otp]}");
    }

    @Test
    void aJsonWebhookMustBeSignedAndAUrlMustBeHttp() {
        Secret url = Secret.of("env:HOOK", "https://hooks.example/approvals");
        assertThatThrownBy(() -> new WebhookConfig(url, WebhookConfig.Format.JSON, null, null, null, null, null))
                .hasMessage("a json webhook is signed: give secret: env:NAME (the HMAC key)");
        assertThatThrownBy(() -> new WebhookConfig(Secret.of("env:HOOK", "ftp://x/y"), WebhookConfig.Format.SLACK,
                null, null, null, null, null)).hasMessage("the value of env:HOOK must be an http(s) URL");
        assertThatThrownBy(() -> new WebhookConfig(url, WebhookConfig.Format.SLACK, null, Set.of("approve"), null,
                null, null)).hasMessageStartingWith("'approve' is not an approval event (expected one of approved,");
        WebhookConfig slack = new WebhookConfig(url, WebhookConfig.Format.SLACK, null, null, null, null, null);
        assertThat(slack.events()).containsExactlyInAnyOrder("requested", "approved", "denied", "expired",
                "break-glass");
        assertThat(slack.maxAttempts()).isEqualTo(5);
        assertThat(slack.toString()).doesNotContain("hooks.example");
    }
}
