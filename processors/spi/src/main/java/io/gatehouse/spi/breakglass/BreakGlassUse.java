package io.gatehouse.spi.breakglass;

import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.approval.Person;
import java.time.Instant;

/**
 * One request that bypassed a rule by breaking glass, waiting for (or given) a reviewer's acknowledgement.
 *
 * @param id             {@code bgu-…}
 * @param windowId       the window it was made in
 * @param user           who sent it
 * @param recordId       the exchange (its {@code Gatehouse-Request-Id})
 * @param endpointId     where it went
 * @param bypassed       the rule it bypassed (deny or require-approval)
 * @param justification  the request's {@code Gatehouse-Break-Glass} header
 * @param at             when
 * @param reviewer       who acknowledged it, else null
 * @param review         the reviewer's note, else null
 * @param reviewedAt     when, else null
 */
public record BreakGlassUse(String id, String windowId, Person user, String recordId, String endpointId,
                            DecidingRule bypassed, String justification, Instant at, String reviewer, String review,
                            Instant reviewedAt) {

    public boolean acknowledged() {
        return reviewedAt != null;
    }
}
