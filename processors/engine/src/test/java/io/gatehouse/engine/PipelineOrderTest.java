package io.gatehouse.engine;

import static io.gatehouse.engine.Exchanges.step;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.spi.Phase;
import java.util.List;
import org.junit.jupiter.api.Test;

class PipelineOrderTest {

    @Test
    void theDemoPipelineFollowsEveryRule() {
        assertThat(PipelineOrder.check(List.of(step("recording", Phase.OBSERVE), step("limits", Phase.AUTHORIZE),
                step("auth", Phase.AUTHENTICATE), step("policy", Phase.AUTHORIZE), step("approval", Phase.APPROVE),
                step("masking", Phase.TRANSFORM)))).isEmpty();
    }

    @Test
    void recordingAfterAuthIsRefusedNamingBothSteps() {
        assertThat(PipelineOrder.check(List.of(step("auth", Phase.AUTHENTICATE), step("recording", Phase.OBSERVE))))
                .containsExactly(new PipelineOrder.Violation(1, "step 'recording' (phase OBSERVE) must come before 'auth'"
                        + " (phase AUTHENTICATE): observers go first in the pipeline, so they see every exchange, denials"
                        + " included"));
    }

    @Test
    void anApprovalBeforeThePolicyIsRefused() {
        assertThat(PipelineOrder.check(List.of(step("auth", Phase.AUTHENTICATE), step("approval", Phase.APPROVE),
                step("policy", Phase.AUTHORIZE))))
                .extracting(PipelineOrder.Violation::message)
                .containsExactly("step 'approval' (phase APPROVE) must come after 'policy' (phase AUTHORIZE): an approval"
                        + " binds a verified caller and the policy's decision");
    }

    @Test
    void maskingBeforeThePolicyIsRefusedAtItsIndex() {
        assertThat(PipelineOrder.check(List.of(step("auth", Phase.AUTHENTICATE), step("masking", Phase.TRANSFORM),
                step("policy", Phase.AUTHORIZE))))
                .extracting(PipelineOrder.Violation::index).containsExactly(1);
    }

    @Test
    void aPipelineWithoutThePhasesARuleNamesPasses() {
        assertThat(PipelineOrder.check(List.of(step("masking", Phase.TRANSFORM), step("stamp", Phase.TRANSFORM))))
                .isEmpty();
        assertThat(PipelineOrder.check(List.of())).isEmpty();
    }
}
