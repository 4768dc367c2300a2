package io.gatehouse.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** policies/*.yaml loaded by the real loader and compiled by the real policy step: errors with file:line. */
class PolicyConfigFilesTest {

    @TempDir
    Path dir;

    private void config(String policy) throws Exception {
        Files.writeString(dir.resolve("gateway.yaml"), "listeners:\n  http: {port: 0}\nagents:\n"
                + "  local: {address: 127.0.0.1:7443}\nidentity:\n  providers:\n    kc:\n"
                + "      issuer: http://127.0.0.1:8180/realms/gatehouse\n      audiences: [gatehouse]\n");
        Files.createDirectories(dir.resolve("endpoints"));
        Files.writeString(dir.resolve("endpoints/openai.yaml"), "id: openai\npath: /v1\nprotocol: openai\n"
                + "target: {agent: local, service: m}\npipeline:\n  - auth:\n  - policy:\n");
        Files.createDirectories(dir.resolve("policies"));
        Files.writeString(dir.resolve("policies/analysts.yaml"), policy);
    }

    @Test
    void theDemoAndKeycloakExamplesLoadWithTheSamePolicies() throws Exception {
        assertThat(GatewayAssembly.load(Path.of("../config/examples/demo"), name -> null).errors()).isEmpty();
        assertThat(GatewayAssembly.load(Path.of("../config/examples/keycloak"), name -> null).errors()).isEmpty();
        for (String file : new String[] {"analysts.yaml", "auditors.yaml", "ml-engineers.yaml", "ml-leads.yaml"}) {
            assertThat(Files.readString(Path.of("../config/examples/keycloak/policies", file))).as(file)
                    .isEqualTo(Files.readString(Path.of("../config/examples/demo/policies", file)));
        }
    }

    @Test
    void aConditionThatDoesNotCompileIsAnErrorAtItsLine() throws Exception {
        config("name: analysts\nappliesTo: {groups: [analysts]}\nrules:\n  - name: chat\n    effect: allow\n"
                + "    when: \"operation.batch <= \"\n");

        assertThat(GatewayAssembly.load(dir, name -> null).errors()).containsExactly("policies/analysts.yaml:6:11:"
                + " field 'rules[0].when': does not compile: ERROR: <input>:1:20: mismatched input"
                + " '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT,"
                + " NUM_UINT, STRING, BYTES, IDENTIFIER} | operation.batch <= | ...................^");
    }

    @Test
    void aConditionThatIsNotABoolIsAnErrorAtItsLine() throws Exception {
        config("name: analysts\nappliesTo: {groups: [analysts]}\nrules:\n  - name: chat\n    effect: allow\n"
                + "    when: \"operation.batch + 1\"\n");

        assertThat(GatewayAssembly.load(dir, name -> null).errors()).hasSize(1).first().asString()
                .startsWith("policies/analysts.yaml:6:11: field 'rules[0].when': does not compile:");
    }

    @Test
    void aRuleNamingAnUnknownEndpointIsAnErrorAtThatEndpoint() throws Exception {
        config("name: analysts\nappliesTo: {groups: [analysts]}\nrules:\n  - name: chat\n    effect: allow\n"
                + "    endpoints: [openai, chat]\n");

        assertThat(GatewayAssembly.load(dir, name -> null).errors()).containsExactly("policies/analysts.yaml:6:25:"
                + " field 'rules[0].endpoints[1]': unknown endpoint 'chat' (known endpoints: openai)");
    }

    @Test
    void unknownKeysAndValuesInAPolicyAreErrorsWithTheirPositions() throws Exception {
        config("name: analysts\nappliesTo: {groups: [analysts]}\nrules:\n  - name: chat\n    effect: permit\n"
                + "    operations: [chat, telepathy]\n    limit: {maxBatch: 2}\n");

        assertThat(GatewayAssembly.load(dir, name -> null).errors()).containsExactly(
                "policies/analysts.yaml:5:13: field 'rules[0].effect': value 'permit' (expected:"
                        + " allow|deny|require-approval)",
                "policies/analysts.yaml:6:24: field 'rules[0].operations[1]': value 'telepathy' (expected: chat|"
                        + "completion|embeddings|list-models|responses|batch-create|file-upload|fine-tune|model-load|"
                        + "model-unload|model-admin|infer|raw)",
                "policies/analysts.yaml:7:5: field 'rules[0]': unknown key 'limit' (accepted: name, description,"
                        + " effect, endpoints, models, operations, methods, paths, when, limits, rateLimits, hideFields,"
                        + " outputs, approvers, approvalTtl, breakGlass)");
    }

    @Test
    void aDenyRuleWithLimitsAndAPolicyWithoutSubjectsAreRefused() throws Exception {
        config("name: analysts\nappliesTo: {}\nrules:\n  - name: no\n    effect: deny\n    limits: {maxBatch: 1}\n");

        assertThat(GatewayAssembly.load(dir, name -> null).errors()).containsExactly(
                "policies/analysts.yaml:2:12: field 'appliesTo': name the groups, roles or clients the policy applies"
                        + " to (e.g. appliesTo: {groups: [analysts]}), or write everyone: true",
                "policies/analysts.yaml:6:13: field 'rules[0].limits': a deny rule has no limits (they bound what a"
                        + " rule allows)");
    }

    @Test
    void twoFilesDefiningOnePolicyAreAnError() throws Exception {
        config("name: analysts\nappliesTo: {groups: [analysts]}\nrules:\n  - {name: a, effect: allow}\n");
        Files.writeString(dir.resolve("policies/more.yaml"), "name: analysts\nappliesTo: {groups: [x]}\n"
                + "rules:\n  - {name: b, effect: deny}\n");

        assertThat(GatewayAssembly.load(dir, name -> null).errors()).containsExactly("policies/more.yaml:1:7: field"
                + " 'name': policy 'analysts' is already defined in policies/analysts.yaml");
    }
}
