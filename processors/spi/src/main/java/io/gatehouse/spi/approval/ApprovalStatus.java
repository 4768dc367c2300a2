package io.gatehouse.spi.approval;

import java.util.Locale;

/** Where an approval stands. Only {@link #PENDING} and {@link #APPROVED} can change; the rest are final. */
public enum ApprovalStatus {
    /** Waiting for decisions. */
    PENDING,
    /** Enough approvals: the request may be sent (again) until the grant expires or its uses are spent. */
    APPROVED,
    /** Someone allowed to decide said no: final. */
    DENIED,
    /** Nobody decided in time, or the grant was not used in time. */
    EXPIRED,
    /** The requester withdrew it. */
    CANCELLED,
    /** Every use of the grant is spent. */
    USED;

    /** The name stored and shown: {@code pending}, {@code approved}, … */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The status of a stored or given name.
     *
     * @throws IllegalArgumentException naming the accepted names
     */
    public static ApprovalStatus fromWire(String name) {
        for (ApprovalStatus s : values()) {
            if (s.wireName().equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("status '" + name + "' is not one of pending, approved, denied, expired,"
                + " cancelled, used");
    }

    public boolean isFinal() {
        return this != PENDING && this != APPROVED;
    }
}
