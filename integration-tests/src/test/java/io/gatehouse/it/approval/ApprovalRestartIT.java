package io.gatehouse.it.approval;

import static io.gatehouse.it.approval.ApprovalStack.batchBody;
import static io.gatehouse.it.approval.ApprovalStack.json;
import static io.gatehouse.it.approval.ApprovalStack.lines;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Approvals live in the store: a gateway killed with {@code kill -9} finds them again, pending and granted. */
class ApprovalRestartIT {

    private static ApprovalStack stack;
    private static ApprovalStack.Replica gateway;

    @BeforeAll
    static void start() throws Exception {
        stack = ApprovalStack.start(false);
        gateway = stack.replica("a").startChild();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void aPendingAndAGrantedApprovalSurviveAKilledGateway() throws Exception {
        String pendingBody = batchBody(gateway.upload(stack.alice(), lines(1)));
        String grantedBody = batchBody(gateway.upload(stack.alice(), lines(2)));
        String pending = json(gateway.post("/v1/batches", stack.alice(), pendingBody).body()).path("id").asText();
        String granted = json(gateway.post("/v1/batches", stack.alice(), grantedBody).body()).path("id").asText();
        assertThat(gateway.admin("/admin/approvals/" + granted + "/approve", stack.carol(), "{\"reason\":\"ok\"}")
                .statusCode()).isEqualTo(200);

        gateway.kill();
        gateway.startChild();

        HttpResponse<String> grantedRetry = gateway.post("/v1/batches", stack.alice(), grantedBody,
                "Gatehouse-Approval", granted);
        HttpResponse<String> approvedAfter = gateway.admin("/admin/approvals/" + pending + "/approve",
                stack.carol(), "{\"reason\":\"after the restart\"}");
        HttpResponse<String> pendingRetry = gateway.post("/v1/batches", stack.alice(), pendingBody,
                "Gatehouse-Approval", pending);

        assertThat(grantedRetry.statusCode()).as(grantedRetry.body()).isEqualTo(200);
        assertThat(json(grantedRetry.body()).path("request_counts").path("total").asInt()).isEqualTo(2);
        assertThat(approvedAfter.statusCode()).as(approvedAfter.body()).isEqualTo(200);
        assertThat(pendingRetry.statusCode()).as(pendingRetry.body()).isEqualTo(200);
        assertThat(json(pendingRetry.body()).path("request_counts").path("total").asInt()).isEqualTo(1);
    }
}
