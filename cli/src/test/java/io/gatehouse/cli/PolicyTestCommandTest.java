package io.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** {@code policy test}: expectation files run through the real policy step, with file:line and JUnit XML. */
class PolicyTestCommandTest {

    private static final Path DEMO = Path.of("../config/examples/demo");

    @TempDir
    Path temp;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Path tests, Path junit, boolean quiet) {
        return PolicyCommand.test(DEMO, tests, junit, quiet, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theDemoShipsPassingExpectationsForItsFourGroups() {
        int exit = run(null, null, false);

        assertThat(exit).as(out() + err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out()).contains("PASS policies/tests/analysts.yaml:5 alice chats with demo-small and never sees "
                        + "usage or log-probabilities: allow 200 analysts/chat-small: allowed: chat on model 'demo-small' "
                        + "at endpoint 'openai' (hides /usage, /choices/*/logprobs)\n",
                "PASS policies/tests/ml-engineers.yaml:14 a batch job is held for an ml-leads approval: "
                        + "require-approval 202 ml-engineers/batch-jobs",
                "policies/tests/auditors.yaml:", "policies/tests/ml-leads.yaml:")
                .endsWith(" cases, 16 passed, 0 failed\n");
    }

    @Test
    void aMismatchFailsWithExitOneNamingFileLineAndEveryDifference() throws Exception {
        Path tests = Files.createDirectories(temp.resolve("tests"));
        Files.writeString(tests.resolve("wrong.yaml"), """
                caller: { user: alice, groups: [analysts] }
                cases:
                  - name: alice may chat
                    request:
                      path: /v1/chat/completions
                      body: { model: demo-small, messages: [{ role: user, content: hi }] }
                    expect: { decision: allow, rule: analysts/chat-small }

                  - name: alice may embed 16 inputs (she may not)
                    request:
                      path: /v1/embeddings
                      body: { model: demo-small, input: [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p] }
                    expect: { decision: allow, rule: analysts/embed-small, status: 200, hiddenFields: [] }
                """);

        int exit = run(tests, null, true);

        assertThat(exit).isEqualTo(1);
        assertThat(out()).isEqualTo("""
                FAIL %s:9 alice may embed 16 inputs (she may not)
                       decision: expected allow, got deny
                       status: expected 200, got 403
                       decided: deny 403 analysts/embed-small: batch 16 > 8
                2 cases, 1 passed, 1 failed
                """.formatted(tests.resolve("wrong.yaml")));
    }

    @Test
    void theJUnitReportHasASuitePerFileAndAFailureNamingTheLine() throws Exception {
        Path tests = Files.createDirectories(temp.resolve("tests"));
        Files.writeString(tests.resolve("held.yaml"), """
                caller: { user: bob, groups: [ml-engineers] }
                cases:
                  - name: a batch job is held <for> "leads" & others
                    request: { path: /v1/batches, body: { input_file_id: f1 } }
                    expect: { decision: require-approval, approval: { approvers: [ml-engineers] } }
                """);
        Path junit = temp.resolve("reports/policy.xml");

        int exit = run(tests, junit, true);

        assertThat(exit).isEqualTo(1);
        Document xml = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(junit.toFile());
        Element suites = xml.getDocumentElement();
        assertThat(suites.getAttribute("tests")).isEqualTo("1");
        assertThat(suites.getAttribute("failures")).isEqualTo("1");
        Element testcase = (Element) xml.getElementsByTagName("testcase").item(0);
        assertThat(testcase.getAttribute("name")).isEqualTo("a batch job is held <for> \"leads\" & others");
        assertThat(testcase.getAttribute("line")).isEqualTo("3");
        NodeList failures = testcase.getElementsByTagName("failure");
        assertThat(((Element) failures.item(0)).getAttribute("message")).isEqualTo(tests.resolve("held.yaml")
                + ":3: approval.approvers: expected [ml-engineers], got [ml-leads]");
    }

    @Test
    void aTestFileWithAnUnknownKeyIsReportedAtItsLineAndNoCaseRuns() throws Exception {
        Path tests = Files.createDirectories(temp.resolve("tests"));
        Files.writeString(tests.resolve("typo.yaml"), """
                cases:
                  - name: typo
                    caller: { user: alice, groups: [analysts] }
                    request: { path: /v1/models }
                    expect: { decision: allow, rules: analysts/list-models }
                """);

        int exit = run(tests, null, false);

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(tests.resolve("typo.yaml") + ":5:32: field "
                + "'cases[0].expect': unknown key 'rules' (accepted: decision, rule, status, reason, hiddenFields, "
                + "approval)\nno case ran: fix the errors above\n");
    }
}
