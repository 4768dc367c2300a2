package io.gatehouse.cli.policy;

import java.util.List;
import org.snakeyaml.engine.v2.nodes.Node;

/**
 * The caller of a case, as the claims of its token would make it.
 *
 * @param user    {@code preferred_username}, and {@code sub} unless {@code subject} is given
 * @param subject {@code sub}
 * @param groups  group names ({@code /analysts} reads as {@code analysts}, as the auth step does)
 * @param roles   realm roles
 * @param client  the client id ({@code azp})
 * @param amr     authentication methods, e.g. {@code [pwd, otp]}
 * @param acr     authentication context class
 * @param claims  any further claims, as a map (they win over the fields above)
 */
public record TestCaller(String user, String subject, List<String> groups, List<String> roles, String client,
                         List<String> amr, String acr, Node claims) {
}
