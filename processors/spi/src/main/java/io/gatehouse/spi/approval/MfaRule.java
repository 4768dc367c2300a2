package io.gatehouse.spi.approval;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What an approver's token must show to approve: an {@code acr} in {@link #acr()} or an {@code amr}
 * method in {@link #amr()}. Both empty: no second factor is needed.
 */
public record MfaRule(Set<String> acr, Set<String> amr) {

    public static final MfaRule NONE = new MfaRule(Set.of(), Set.of());

    public MfaRule {
        acr = Set.copyOf(acr);
        amr = Set.copyOf(amr);
    }

    public boolean required() {
        return !acr.isEmpty() || !amr.isEmpty();
    }

    public boolean satisfiedBy(Person person) {
        if (!required()) {
            return true;
        }
        List<String> methods = person.amr();
        return person.acr() != null && acr.contains(person.acr()) || methods.stream().anyMatch(amr::contains);
    }

    /** For messages: {@code acr gold or amr otp, hwk}. */
    public String describe() {
        StringBuilder s = new StringBuilder();
        if (!acr.isEmpty()) {
            s.append("acr ").append(String.join(", ", new TreeSet<>(acr)));
        }
        if (!amr.isEmpty()) {
            s.append(s.length() > 0 ? " or " : "").append("amr ").append(String.join(", ", new TreeSet<>(amr)));
        }
        return s.toString();
    }
}
