package io.gatehouse.store.audit;

import java.util.Locale;

/** What an event in an audit chain records. */
public enum EventType {
    /** An exchange started; written (durably) before the request is forwarded. */
    START,
    /** An exchange ended, whatever the outcome: answered, denied, held, failed, client gone, incomplete. */
    END,
    /** Something learned about an exchange after its end was written (e.g. the client left before the last byte). */
    AMEND,
    /** Retention removed the content of expired records of one endpoint (their hashes stay in the chain). */
    RETENTION,
    /** Retention deleted the start of the chain, up to a checkpoint that seals it. */
    PRUNE,
    /** The replica itself: started, closed dangling records, recovered a spool. */
    SYSTEM,
    /**
     * A step of an approval (requested, approved, denied, expired, cancelled, used); its record id is
     * the approval's id and its payload names the exchanges it belongs to.
     */
    APPROVAL,
    /**
     * A config version was applied (at start or by a reload): its record id is the version (content
     * digest) and its payload says who applied it, when, and which files changed.
     */
    CONFIG,
    /** A step of break-glass: a window opened or closed, a use, its acknowledgement; record id: the window. */
    BREAK_GLASS;

    /** The name stored and shown: {@code start}, {@code end}, … */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The type of a stored name; null when unknown. */
    public static EventType fromWire(String name) {
        for (EventType t : values()) {
            if (t.wireName().equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** Types that describe an exchange, whose content retention may remove. */
    public boolean isExchange() {
        return this == START || this == END || this == AMEND;
    }
}
