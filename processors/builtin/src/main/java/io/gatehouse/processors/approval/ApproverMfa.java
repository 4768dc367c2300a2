package io.gatehouse.processors.approval;

import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.approval.MfaRule;
import java.util.Set;

/**
 * What proves that an approver signed in with a second factor: an {@code acr} value or an
 * {@code amr} method of their token. An approval without it is refused with 401
 * {@code insufficient_user_authentication}.
 *
 * <pre>{@code
 * requireMfa: { amr: [otp, hwk] }
 * }</pre>
 */
public record ApproverMfa(Set<String> acr, Set<String> amr) {

    public ApproverMfa {
        acr = acr == null ? Set.of() : Set.copyOf(acr);
        amr = amr == null ? Set.of() : Set.copyOf(amr);
        if (acr.isEmpty() && amr.isEmpty()) {
            throw new ConfigException("requireMfa", "name at least one acr value or amr method that proves a second"
                    + " factor, e.g. requireMfa: {amr: [otp]}");
        }
    }

    MfaRule rule() {
        return new MfaRule(acr, amr);
    }
}
