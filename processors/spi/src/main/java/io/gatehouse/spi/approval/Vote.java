package io.gatehouse.spi.approval;

import java.time.Instant;

/**
 * One person's decision on an approval.
 *
 * @param approve true to approve, false to deny
 */
public record Vote(String issuer, String subject, String username, boolean approve, String reason, Instant at) {

    public String decision() {
        return approve ? "approve" : "deny";
    }
}
