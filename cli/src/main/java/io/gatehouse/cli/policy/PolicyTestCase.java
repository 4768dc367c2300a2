package io.gatehouse.cli.policy;

import io.gatehouse.spi.ConfigException;

/**
 * One expectation: who calls, what they send, what the policies must decide.
 *
 * @param name    says what the case shows; named in the output and the JUnit report
 * @param caller  who calls (default: the file's caller)
 * @param request what is sent
 * @param expect  what must be decided
 */
public record PolicyTestCase(String name, TestCaller caller, TestRequest request, Expectation expect) {

    public PolicyTestCase {
        if (name == null || name.isBlank()) {
            throw new ConfigException("name", "is required: say what the case shows, e.g. name: alice may chat");
        }
        if (request == null) {
            throw new ConfigException("request", "is required, e.g. request: {method: GET, path: /v1/models}");
        }
        if (expect == null) {
            throw new ConfigException("expect", "is required, e.g. expect: {decision: allow}");
        }
    }
}
