package io.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code policy explain} on the demo config: the decision and the trail, without a running gateway. */
class PolicyCommandTest {

    private static final Path DEMO = Path.of("../config/examples/demo");
    private static final String ALICE = "{\"sub\":\"alice-id\",\"preferred_username\":\"alice\","
            + "\"iss\":\"http://127.0.0.1:8090\",\"groups\":[\"/analysts\"]}";
    private static final String BOB = "{\"sub\":\"bob-id\",\"preferred_username\":\"bob\",\"groups\":[\"ml-engineers\"]}";

    @TempDir
    Path temp;

    private String run(String claims, String request, int expectedExit) throws Exception {
        Path c = Files.writeString(temp.resolve("claims.json"), claims);
        Path r = Files.writeString(temp.resolve("req.http"), request);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = PolicyCommand.explain(DEMO, c, r, null, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(exit).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(expectedExit);
        return exit == 0 ? out.toString(StandardCharsets.UTF_8) : err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void anEmbeddingsBatchAboveTheLimitIsDeniedNamingTheRuleWithTheTrail() throws Exception {
        String out = run(ALICE, "POST /v1/embeddings HTTP/1.1\nContent-Type: application/json\n\n"
                + "{\"model\":\"demo-small\",\"input\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\","
                + "\"12\",\"13\",\"14\",\"15\",\"16\"]}\n", 0);

        assertThat(out).isEqualTo("""
                endpoint: openai (/v1, protocol openai)
                caller:   alice (groups [analysts], roles [])
                request:  POST /v1/embeddings -> embeddings, model 'demo-small', batch 16
                decision: deny (403 Forbidden by policy): policy 'analysts' rule 'embed-small': batch 16 > 8
                trail:
                  analysts/list-models (allow): skipped: operation embeddings is not in [list-models]
                  analysts/chat-small (allow): skipped: operation embeddings is not in [chat, completion]
                  analysts/embed-small (allow): matched, but refused: batch 16 > 8
                  analysts/infer-small (allow): skipped: operation embeddings is not in [infer]
                  analysts/server-health (allow): skipped: operation embeddings is not in [raw]
                  policy auditors: does not apply (it applies to groups [auditors])
                  policy ml-engineers: does not apply (it applies to groups [ml-engineers])
                  policy ml-leads: does not apply (it applies to groups [ml-leads])
                """);
    }

    @Test
    void anAllowedChatShowsTheCapWrittenIntoTheForwardedBody() throws Exception {
        String out = run(ALICE, "POST /v1/chat/completions\r\nContent-Type: application/json\r\n\r\n"
                + "{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", 0);

        assertThat(out).contains("decision: allow: policy 'analysts' rule 'chat-small': allowed: chat on model"
                        + " 'demo-small' at endpoint 'openai'\n",
                "request body as forwarded: {\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":"
                        + "\"hi\"}],\"max_tokens\":512}\n",
                "  analysts/chat-small (allow): matched, within its limits\n");
    }

    @Test
    void aBatchJobOfAnEngineerIsHeldForTheLeadsApproval() throws Exception {
        String out = run(BOB, "POST /v1/batches\n\n{\"input_file_id\":\"f1\",\"endpoint\":\"/v1/chat/completions\"}", 0);

        assertThat(out).contains("decision: require-approval: policy 'ml-engineers' rule 'batch-jobs': requires an"
                + " approval: batch-create at endpoint 'openai' (approvers: [ml-leads])\n");
    }

    @Test
    void aModelAdminRouteWithoutAnExplicitRuleFallsToTheDefaultDeny() throws Exception {
        String out = run(BOB, "POST /v1/load_lora_adapter\n\n{\"lora_name\":\"x\",\"lora_path\":\"/tmp/x\"}", 0);

        assertThat(out).contains("decision: deny (403 Forbidden by policy): policy 'default' rule 'default-deny':"
                        + " no rule of policy ml-engineers allows model-load on model 'x' at endpoint 'openai'\n",
                "  ml-engineers/inference (allow): skipped: operation model-load is not in [chat, completion,"
                        + " embeddings, infer, responses]\n");
    }

    @Test
    void aBodyThatIsNotJsonIsTheAdaptersFourHundred() throws Exception {
        String out = run(ALICE, "POST /v1/chat/completions\n\n{\"model\":", 0);

        assertThat(out).contains("decision: deny (400 Malformed request): the request body is not valid JSON (line 1,"
                + " column 10)\n");
    }

    @Test
    void aPathNoEndpointServesIsBadInput() throws Exception {
        assertThat(run(ALICE, "GET /nothing/here\n\n", 1)).isEqualTo("no endpoint of ../config/examples/demo serves"
                + " path '/nothing/here'\n");
    }

    @Test
    void aRequestFileWithoutAMethodAndPathIsBadInput() throws Exception {
        assertThat(run(ALICE, "{\"model\":\"x\"}\n", 1)).isEqualTo("cannot read the input: the first line must be a"
                + " method and a path, e.g. 'POST /v1/chat/completions', got '{\"model\":\"x\"}'\n");
    }
}
