package io.gatehouse.it.servers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.it.support.Logs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The official Ollama JavaScript library ({@code ollama} on npm, the version locked in
 * {@code src/test/node/ollama-client/package-lock.json}) against the gateway's {@code /ollama} endpoint, with
 * the OIDC token in its {@code headers} option, as a user of Open WebUI-style tools would configure it. The
 * test installs the locked dependencies with {@code npm ci} into {@code target/ollama-client} and runs
 * {@code client.mjs} once per step with Node.js. (The {@code ollama} CLI is not installed on this machine;
 * its {@code OLLAMA_HOST} works the same way, but it cannot send a bearer token.)
 */
class OllamaJsClientIT {

    private static final Path SOURCE = Path.of("src/test/node/ollama-client");
    private static final Path WORK = Path.of("target/ollama-client");
    private static ModelServersStack stack;

    @BeforeAll
    static void start() throws Exception {
        installClient();
        stack = ModelServersStack.start();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** Copies the client's files and runs {@code npm ci} (the lock file decides every version). */
    private static void installClient() throws Exception {
        Files.createDirectories(WORK);
        for (String f : List.of("package.json", "package-lock.json", "client.mjs")) {
            Files.copy(SOURCE.resolve(f), WORK.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        Path log = WORK.resolve("npm-ci.log");
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--prefer-offline")
                .directory(WORK.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        if (!npm.waitFor(5, TimeUnit.MINUTES)) {
            npm.destroyForcibly();
            throw new IllegalStateException("npm ci did not finish within 5 minutes:\n" + Logs.tail(log, 40));
        }
        if (npm.exitValue() != 0) {
            throw new IllegalStateException("npm ci failed (Node.js 18+ and npm are needed for this test):\n"
                    + Logs.tail(log, 40));
        }
    }

    /** Runs one step of client.mjs as {@code token}'s user; returns its JSON line. */
    private static JsonNode client(String token, String approval, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("node", "client.mjs"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(WORK.toFile());
        pb.environment().put("OLLAMA_HOST", stack.base() + "/ollama");
        pb.environment().put("GATEHOUSE_TOKEN", token);
        if (approval != null) {
            pb.environment().put("GATEHOUSE_APPROVAL", approval);
        }
        Path err = Files.createTempFile(WORK, "node-", ".err");
        Process node = pb.redirectError(err.toFile()).start();
        String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!node.waitFor(60, TimeUnit.SECONDS) || node.exitValue() != 0 || out.isBlank()) {
            node.destroyForcibly();
            throw new IllegalStateException("node client.mjs " + String.join(" ", args) + " failed: " + out + "\n"
                    + Files.readString(err));
        }
        Files.deleteIfExists(err);
        String last = out.strip().lines().reduce((a, b) -> b).orElseThrow();
        return ModelServersStack.json(last);
    }

    @Test
    void theOllamaLibraryStreamsAChatThroughTheGatewayWithTheCardNumberMasked() throws Exception {
        JsonNode r = client(stack.carol(), null, "chat-stream");

        assertThat(r.path("ok").asBoolean()).as(r.toString()).isTrue();
        assertThat(r.at("/result/content").asText()).isEqualTo("You said: my card is [CREDIT_CARD] thanks");
        assertThat(r.at("/result/lines").asInt()).isGreaterThan(2);
        assertThat(r.at("/result/last/done").asBoolean()).isTrue();
        assertThat(r.at("/result/last/eval_count").asInt()).isEqualTo(10);
    }

    @Test
    void theLibrarySeesTheCapWrittenInTheFilteredModelListAndTheRefusalOfAnotherModel() throws Exception {
        JsonNode generate = client(stack.alice(), null, "generate");
        JsonNode list = client(stack.alice(), null, "list");
        JsonNode embed = client(stack.alice(), null, "embed");
        JsonNode large = client(stack.alice(), null, "generate", "demo-large");
        JsonNode anonymous = client("not-a-token", null, "list");

        assertThat(generate.at("/result/response").asText()).as(generate.toString()).isEqualTo("You said: one two");
        assertThat(generate.at("/result/done_reason").asText()).isEqualTo("length");
        assertThat(list.at("/result/models").findValuesAsText("name")).containsExactly("demo-small:latest");
        assertThat(embed.at("/result/embeddings").size()).isEqualTo(2);
        assertThat(large.path("ok").asBoolean()).isFalse();
        assertThat(large.path("status").asInt()).isEqualTo(403);
        assertThat(large.path("error").asText()).contains("demo-large");
        assertThat(anonymous.path("status").asInt()).isEqualTo(401);
    }

    @Test
    void aPullThroughTheLibraryIsHeldThenRunsOnceWithTheApprovalHeader() throws Exception {
        JsonNode held = client(stack.carol(), null, "pull", "qwen3:1.7b");
        // A held request is 202 with the approval as JSON: the library yields it as the stream's one part, then
        // raises that the stream did not end in success.
        String id = held.at("/result/parts/0/id").asText();
        assertThat(held.at("/result/parts/0/status").asText()).as(held.toString()).isEqualTo("pending");
        assertThat(held.at("/result/error").asText())
                .isEqualTo("Did not receive done or success response in stream.");
        assertThat(stack.model.adminCounters().get("ollama.pull")).isZero();

        stack.approve(id, stack.erin());
        JsonNode pulled = client(stack.carol(), id, "pull", "qwen3:1.7b");
        JsonNode again = client(stack.carol(), id, "pull", "qwen3:1.7b");

        JsonNode parts = pulled.at("/result/parts");
        assertThat(parts.get(0).path("status").asText()).as(pulled.toString()).isEqualTo("pulling manifest");
        assertThat(parts.get(parts.size() - 1).path("status").asText()).isEqualTo("success");
        assertThat(pulled.at("/result/error").isMissingNode()).isTrue();
        assertThat(again.path("status").asInt()).isEqualTo(403);
        assertThat(stack.model.adminCounters().get("ollama.pull")).isEqualTo(1);
    }
}
