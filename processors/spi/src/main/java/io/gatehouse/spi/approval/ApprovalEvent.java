package io.gatehouse.spi.approval;

import java.time.Instant;
import java.util.Locale;

/**
 * Something that happened to an approval: recorded in the audit trail and told to listeners
 * (webhooks).
 *
 * @param kind     what happened
 * @param approval the approval after it happened
 * @param actor    who did it (requester, approver, or null for the gateway itself: expiry)
 * @param reason   the actor's reason, or null
 * @param recordId the exchange it concerns (the held one for {@code requested}, the one let through
 *                 for {@code used}), or null
 * @param at       when
 */
public record ApprovalEvent(Kind kind, Approval approval, Person actor, String reason, String recordId, Instant at) {

    public enum Kind {
        /** A request was held. */
        REQUESTED,
        /** An approver approved, and more approvals are still needed. */
        VOTED,
        /** The last needed approval came: the grant is usable. */
        APPROVED,
        /** An approver denied: final. */
        DENIED,
        /** The pending request or the unused grant ran out of time. */
        EXPIRED,
        /** The requester withdrew it. */
        CANCELLED,
        /** The grant let an exchange through. */
        USED;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
