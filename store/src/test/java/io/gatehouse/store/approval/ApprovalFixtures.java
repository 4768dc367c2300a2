package io.gatehouse.store.approval;

import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.approval.ApprovalRequest;
import io.gatehouse.spi.approval.MfaRule;
import io.gatehouse.spi.approval.Person;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** People, requests and a movable clock for the approvals tests. */
final class ApprovalFixtures {

    static final String ISSUER = "https://sso.example/realms/gatehouse";
    static final Person ALICE = person("alice", "analysts");
    static final Person BOB = person("bob", "ml-engineers");
    static final Person CAROL = person("carol", "ml-leads");
    static final Person DAVE = person("dave", "ml-leads");
    static final String DIGEST = "a".repeat(64);

    private ApprovalFixtures() {
    }

    static Person person(String name, String... groups) {
        return new Person(ISSUER, "sub-" + name, name, Set.of(groups), "1", List.of("pwd"));
    }

    static Person withAmr(Person p, String... amr) {
        return new Person(p.issuer(), p.subject(), p.username(), p.groups(), p.acr(), List.of(amr));
    }

    static ApprovalRequest request(Person requester, int needed, MfaRule mfa, int maxUses) {
        return new ApprovalRequest("openai", "rec-" + System.nanoTime(), requester, "batch-create", "llama-3-8b", 1,
                "POST", "/v1/batches", DIGEST, "batch-create, POST /v1/batches on openai", "monthly eval",
                new DecidingRule("approval", "when", "operation batch-create needs an approval"), Set.of("ml-leads"),
                needed, mfa, maxUses, Duration.ofHours(1), Duration.ofMinutes(15));
    }

    static ApprovalRequest request(Person requester) {
        return request(requester, 1, MfaRule.NONE, 1);
    }

    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("did not complete: " + e, e);
        }
    }

    /** A clock that stands still until moved. */
    static final class MovableClock extends Clock {
        private final AtomicReference<Instant> now;

        MovableClock(Instant start) {
            this.now = new AtomicReference<>(start);
        }

        void advance(Duration d) {
            now.updateAndGet(i -> i.plus(d));
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
