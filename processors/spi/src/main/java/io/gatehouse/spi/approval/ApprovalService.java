package io.gatehouse.spi.approval;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * The gateway's approvals, for a step that holds requests for a human decision: a gateway service
 * ({@code services.require(ApprovalService.class, "my-step")}). Approvals live in the gateway's store,
 * survive restarts, are shared by every replica on one PostgreSQL, and every step of one is an audit
 * event. Approvers decide through the admin API and {@code gatehouse approvals}.
 *
 * <p>The rules hold whoever calls: nobody decides on their own request; only members of the approver
 * groups decide, with a second factor when the request says so; a grant is used by its requester with
 * the very request that was held (same endpoint and digest), each use taken atomically.
 *
 * <p>Nothing here blocks the caller: every answer is a stage that completes on a thread of the service.
 * A stage fails with a {@link io.gatehouse.spi.ServiceUnavailableException} when the store cannot be
 * asked; a step then refuses the request (fail closed), never forwards it unapproved. Thread-safe.
 */
public interface ApprovalService {

    /** The clock the service decides expiry by; use it to compute waits against {@link Approval#expiresAt()}. */
    Clock clock();

    /** Stores a held request as pending and announces it ({@code requested}); completes with the new approval. */
    CompletionStage<Approval> hold(ApprovalRequest request);

    /**
     * A retry of a held request with its approval id: takes one use of the grant when every rule holds,
     * else says which failed (unknown id, someone else's, a different request, then the approval's state).
     *
     * @param requester  who retries
     * @param endpointId the endpoint the retry came to
     * @param digest     the retry's request digest, as given to {@link #hold}
     * @param recordId   the retry's exchange id, recorded with the use
     */
    CompletionStage<UseResult> use(String id, Person requester, String endpointId, String digest, String recordId);

    /**
     * Completes with the approval once it is no longer pending (decided, expired, cancelled), or with
     * null after {@code max} if nothing was decided. Holds no thread while it waits.
     */
    CompletionStage<Approval> awaitDecision(String id, Duration max);

    /**
     * Adds, or replaces, the listener called {@code name}: it is told of every event after it is
     * committed, on a thread of the service, and must neither block for long nor throw.
     */
    void listen(String name, ApprovalListener listener);

    /** Removes the listener called {@code name}, if any. */
    void stopListening(String name);

    /** Where a listener counts what its notifications did. */
    NotificationStats stats();

    /**
     * Charges {@code amount} more uses to a granted approval, e.g. the tokens of an answer let through by
     * a token-quota grant ({@link io.gatehouse.spi.QuotaEscalation}); once its uses reach its maximum it is
     * used up. Completes when recorded. A service that cannot charge fails the stage.
     */
    default CompletionStage<Void> charge(String id, long amount) {
        return java.util.concurrent.CompletableFuture.failedFuture(
                new UnsupportedOperationException("this approval service cannot charge uses"));
    }
}
