package io.gatehouse.cli.policy;

import io.gatehouse.spi.ConfigException;
import java.util.List;

/**
 * One file of policy expectations, {@code policies/tests/*.yaml}: cases that each give a caller and a
 * request and say what the policies must decide.
 *
 * <pre>{@code
 * caller: { user: alice, groups: [analysts] }      # default caller of the cases below
 * cases:
 *   - name: a batch of 16 embeddings is refused
 *     request:
 *       method: POST
 *       path: /v1/embeddings
 *       body: { model: demo-small, input: [a, b, c, d, e, f, g, h, i] }
 *     expect: { decision: deny, rule: analysts/embed-small, status: 403, reason: batch 9 > 8 }
 * }</pre>
 *
 * @param caller   the caller of every case that names none
 * @param endpoint the endpoint of every case that names none (default: the one whose path serves it)
 * @param cases    the cases, run in order
 */
public record PolicyTestFile(TestCaller caller, String endpoint, List<PolicyTestCase> cases) {

    public PolicyTestFile {
        if (cases == null || cases.isEmpty()) {
            throw new ConfigException("cases", "is required: at least one case with name, request and expect");
        }
        cases = List.copyOf(cases);
    }
}
