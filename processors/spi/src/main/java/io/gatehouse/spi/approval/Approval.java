package io.gatehouse.spi.approval;

import io.gatehouse.spi.DecidingRule;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * An approval as stored: the held request's description, who may decide, and what was decided.
 * Immutable; a change is a new read.
 *
 * @param status         as stored; see {@link #effectiveStatus(Instant)} for what it means now
 * @param requester      who asked (their groups as their token said when they asked)
 * @param grantExpiresAt when an approved grant stops being usable; null until approved
 * @param votes          decisions so far, oldest first
 */
public record Approval(String id, ApprovalStatus status, String endpointId, String recordId, Person requester,
                       String operationKind, String model, int batch, String method, String path, String digest,
                       String summary, String reason, DecidingRule rule, Set<String> approverGroups,
                       int approvalsNeeded, MfaRule mfa, int maxUses, int uses, Duration grantTtl, Instant createdAt,
                       Instant expiresAt, Instant decidedAt, Instant grantExpiresAt, List<Vote> votes) {

    public Approval {
        approverGroups = Set.copyOf(approverGroups);
        votes = List.copyOf(votes);
    }

    /** The stored status, with a pending request or an unused grant past its time read as expired. */
    public ApprovalStatus effectiveStatus(Instant now) {
        if (status == ApprovalStatus.PENDING && !now.isBefore(expiresAt)) {
            return ApprovalStatus.EXPIRED;
        }
        if (status == ApprovalStatus.APPROVED && grantExpiresAt != null && !now.isBefore(grantExpiresAt)) {
            return ApprovalStatus.EXPIRED;
        }
        return status;
    }

    /** When it expired or will expire: the pending deadline, or the grant's once approved. */
    public Instant expiry() {
        return grantExpiresAt != null ? grantExpiresAt : expiresAt;
    }

    public long approvals() {
        return votes.stream().filter(Vote::approve).count();
    }

    /** The vote that denied it, if any. */
    public Vote denial() {
        return votes.stream().filter(v -> !v.approve()).findFirst().orElse(null);
    }

    /** True when {@code person} is in one of the approver groups. */
    public boolean mayDecide(Person person) {
        return person.groups().stream().anyMatch(approverGroups::contains);
    }
}
