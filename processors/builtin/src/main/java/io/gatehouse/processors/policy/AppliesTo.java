package io.gatehouse.processors.policy;

import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.Identity;
import java.util.Set;

/**
 * Whom a policy applies to: a caller in any of the groups, with any of the roles, or calling as any of
 * the client ids; or every verified caller with {@code everyone: true}.
 *
 * <pre>{@code
 * appliesTo: { groups: [analysts], roles: [], clients: [], everyone: false }
 * }</pre>
 */
public record AppliesTo(Set<String> groups, Set<String> roles, Set<String> clients, Boolean everyone) {

    public AppliesTo {
        groups = groups == null ? Set.of() : Set.copyOf(groups);
        roles = roles == null ? Set.of() : Set.copyOf(roles);
        clients = clients == null ? Set.of() : Set.copyOf(clients);
        everyone = everyone != null && everyone;
        if (!everyone && groups.isEmpty() && roles.isEmpty() && clients.isEmpty()) {
            throw new ConfigException(null, "name the groups, roles or clients the policy applies to"
                    + " (e.g. appliesTo: {groups: [analysts]}), or write everyone: true");
        }
    }

    /** Whether the policy applies to this caller. */
    boolean covers(Identity identity) {
        if (identity == null) {
            return false;
        }
        if (everyone) {
            return true;
        }
        for (String g : identity.groups()) {
            if (groups.contains(g)) {
                return true;
            }
        }
        for (String r : identity.roles()) {
            if (roles.contains(r)) {
                return true;
            }
        }
        return identity.clientId() != null && clients.contains(identity.clientId());
    }
}
