package io.gatehouse.spi.approval;

/**
 * What a retry with {@code Gatehouse-Approval: {id}} may do.
 *
 * @param verdict  granted, or why not
 * @param approval the approval, or null when the id is unknown
 */
public record UseResult(Verdict verdict, Approval approval) {

    public enum Verdict {
        /** One use was taken: forward the request. */
        GRANTED,
        /** No approval has this id. */
        UNKNOWN,
        /** It was asked for by someone else. */
        FOREIGN,
        /** The request is not the one that was approved (endpoint, method, path, headers or body differ). */
        DIFFERENT,
        /** Still waiting for decisions. */
        PENDING,
        /** The pending request or the grant ran out of time. */
        EXPIRED,
        /** It was denied. */
        DENIED,
        /** The requester withdrew it. */
        CANCELLED,
        /** Every use of the grant is spent. */
        USED
    }

    public boolean granted() {
        return verdict == Verdict.GRANTED;
    }
}
