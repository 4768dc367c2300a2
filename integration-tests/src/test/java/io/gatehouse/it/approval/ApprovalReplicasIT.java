package io.gatehouse.it.approval;

import static io.gatehouse.it.approval.ApprovalStack.batchBody;
import static io.gatehouse.it.approval.ApprovalStack.json;
import static io.gatehouse.it.approval.ApprovalStack.lines;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two gateway processes ({@code gatehouse serve}) on one PostgreSQL database: approvals are shared
 * state, a decision taken through replica B releases a request waiting ({@code Prefer: wait}) on
 * replica A, and a store that goes away while a request waits answers it 503, forwarding nothing.
 * A third replica polls approvals only once an hour, so a release there can only come from
 * PostgreSQL's notification: the test tells the two apart by configuration, not by a timing.
 */
class ApprovalReplicasIT {

    private static ApprovalStack stack;
    private static ApprovalStack.Replica a;
    private static ApprovalStack.Replica b;
    /** Replica A's twin that re-reads approvals once an hour ({@code store.approvalPollInterval}). */
    private static ApprovalStack.Replica notifiedOnly;

    @BeforeAll
    static void start() throws Exception {
        stack = ApprovalStack.start(true);
        a = stack.replica("a");
        b = stack.replica("b");
        notifiedOnly = stack.replica("a-notified-only", ApprovalStack.APPROVAL_PIPELINE,
                "  approvalPollInterval: 1h\n");
        a.startChild();
        b.startChild();
        notifiedOnly.startChild();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void anApprovalThroughReplicaBReleasesTheRequestWaitingOnAReplicaThatOnlyHearsNotifications() throws Exception {
        String body = batchBody(notifiedOnly.upload(stack.alice(), lines(2)));
        long[] answeredAt = new long[1];
        CompletableFuture<HttpResponse<String>> waiting = stack.http.sendAsync(notifiedOnly.postRequest("/v1/batches",
                stack.alice(), body, "Prefer", "wait=45"), HttpResponse.BodyHandlers.ofString())
                .whenComplete((r, e) -> answeredAt[0] = System.nanoTime());
        JsonNode pending = b.awaitPending();
        Thread.sleep(1500); // the replica has been waiting for a while: no decision in sight yet
        assertThat(waiting).isNotDone();

        HttpResponse<String> approved = b.admin("/admin/approvals/" + pending.path("id").asText() + "/approve",
                stack.carol(), "{\"reason\":\"from replica b\"}");
        long decidedAt = System.nanoTime();
        // Its next poll is an hour away: only the notification can release it before this deadline.
        HttpResponse<String> answer = waiting.get(20, TimeUnit.SECONDS);

        assertThat(approved.statusCode()).as(approved.body()).isEqualTo(200);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(json(answer.body()).path("status").asText()).isEqualTo("completed");
        long millis = TimeUnit.NANOSECONDS.toMillis(answeredAt[0] - decidedAt);
        System.out.println("the notified-only replica answered " + millis + " ms after replica B's approval returned");
        JsonNode seenOnA = json(notifiedOnly.admin("/admin/approvals/" + pending.path("id").asText(), stack.alice(), null)
                .body());
        assertThat(seenOnA.path("status").asText()).isEqualTo("used");
        assertThat(seenOnA.path("votes").get(0).path("username").asText()).isEqualTo("carol");
    }

    @Test
    void aRetryThroughTheOtherReplicaUsesTheGrantExactlyOnce() throws Exception {
        String body = batchBody(a.upload(stack.alice(), lines(1)));
        HttpResponse<String> held = a.post("/v1/batches", stack.alice(), body);
        String id = json(held.body()).path("id").asText();
        b.admin("/admin/approvals/" + id + "/approve", stack.carol(), "{\"reason\":\"ok\"}");

        HttpResponse<String> onB = b.post("/v1/batches", stack.alice(), body, "Gatehouse-Approval", id);
        HttpResponse<String> onA = a.post("/v1/batches", stack.alice(), body, "Gatehouse-Approval", id);

        assertThat(held.statusCode()).isEqualTo(202);
        assertThat(onB.statusCode()).isEqualTo(200);
        assertThat(onA.statusCode()).isEqualTo(403);
        assertThat(json(onA.body()).path("title").asText()).isEqualTo("Approval used");
    }

    @Test
    void theStoreGoingAwayWhileARequestWaitsAnswersIt503AndForwardsNothing() throws Exception {
        String body = batchBody(a.upload(stack.alice(), lines(1)));
        CompletableFuture<HttpResponse<String>> waiting = stack.http.sendAsync(a.postRequest("/v1/batches",
                stack.alice(), body, "Prefer", "wait=45"), HttpResponse.BodyHandlers.ofString());
        JsonNode pending = a.awaitPending();
        String id = pending.path("id").asText();
        HttpResponse<String> answer;
        try {
            storeReachable(false);
            answer = waiting.get(20, TimeUnit.SECONDS);
        } finally {
            storeReachable(true);
        }

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
        assertThat(json(answer.body()).path("detail").asText()).isEqualTo("the approval store cannot be reached, so"
                + " this request was not forwarded; retry later");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        HttpResponse<String> after = b.admin("/admin/approvals/" + id, stack.carol(), null);
        while (after.statusCode() != 200 && System.nanoTime() < deadline) {
            Thread.sleep(200);
            after = b.admin("/admin/approvals/" + id, stack.carol(), null);
        }
        assertThat(json(after.body()).path("status").asText()).isEqualTo("pending");
        assertThat(json(after.body()).path("uses").asInt()).isZero();
    }

    /** Refuses (and cuts) or allows again every connection to the test database. */
    private static void storeReachable(boolean reachable) throws Exception {
        try (Connection c = DriverManager.getConnection(ApprovalStack.POSTGRES_ADMIN);
             Statement s = c.createStatement()) {
            s.execute("ALTER DATABASE " + stack.postgresDatabase + " ALLOW_CONNECTIONS " + reachable);
            if (!reachable) {
                s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"
                        + stack.postgresDatabase + "' AND pid <> pg_backend_pid()");
            }
        }
    }
}
