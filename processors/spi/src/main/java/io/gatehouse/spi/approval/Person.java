package io.gatehouse.spi.approval;

import io.gatehouse.spi.Identity;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Someone who asks for or decides on an approval, as their verified token says.
 *
 * @param issuer   {@code iss}
 * @param subject  {@code sub}
 * @param username {@code preferred_username}, or the subject
 * @param groups   their groups
 * @param acr      the token's {@code acr}, or null
 * @param amr      the token's {@code amr}
 */
public record Person(String issuer, String subject, String username, Set<String> groups, String acr,
                     List<String> amr) {

    public Person {
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(subject, "subject");
        username = username == null || username.isBlank() ? subject : username;
        groups = Set.copyOf(groups);
        amr = amr == null ? List.of() : List.copyOf(amr);
    }

    public static Person of(Identity identity) {
        return new Person(identity.issuer() == null ? "" : identity.issuer(), identity.subject(), identity.username(),
                identity.groups(), identity.acr(), identity.amr());
    }

    /**
     * True when this is the same human as {@code other}: the same subject (whichever client or
     * session the token came from), or the same user name.
     */
    public boolean samePersonAs(Person other) {
        return subject.equals(other.subject)
                || username.toLowerCase(Locale.ROOT).equals(other.username.toLowerCase(Locale.ROOT));
    }

    /** The same token subject at the same issuer. */
    public boolean sameAccountAs(String otherIssuer, String otherSubject) {
        return issuer.equals(otherIssuer) && subject.equals(otherSubject);
    }
}
