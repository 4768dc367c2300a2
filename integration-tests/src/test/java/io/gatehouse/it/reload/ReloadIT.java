package io.gatehouse.it.reload;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.cli.GatehouseCommand;
import io.gatehouse.gateway.GatewayAssembly;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Config reload on the real gateway (in this JVM): work in flight survives reloads, a new policy decides the
 * next request, a broken directory or a restart-only change is refused whole and the running config keeps
 * answering.
 */
class ReloadIT {

    private static final int STREAMS = 50;
    private static final int HELD = 20;
    private static final int RELOADS = 10;
    /** "You said: " + 40 words, 100 ms each: a stream lasts about 4 s, longer than ten reloads take here. */
    private static final int WORDS = 40;
    private static final int WORD_DELAY_MS = 100;

    private static ReloadStack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = ReloadStack.start().startInJvm();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** Every test starts from the baseline files, applied. */
    @BeforeEach
    void baseline() throws Exception {
        stack.writeConfig("");
        HttpResponse<String> r = stack.admin("POST", "/admin/config/reload", stack.dave());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    @Test
    void fiftySlowStreamsAndTwentyHeldRequestsSurviveTenReloadsInARow() throws Exception {
        String before = version();
        List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            streams.add(stack.stream(WORDS, WORD_DELAY_MS));
        }
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        for (int i = 0; i < HELD; i++) {
            held.add(stack.held(i));
        }
        List<String> pending = stack.awaitPending(HELD);

        List<String> versions = new ArrayList<>();
        long retiredInFlightAfterFirst = -1;
        for (int i = 1; i <= RELOADS; i++) {
            if (i % 2 == 1) {
                stack.writeEndpoint("      pendingTtl: " + (i + 1) + "h\n");
            } else {
                stack.writePolicy("[demo-small]\n    description: revision " + i);
            }
            HttpResponse<String> reload = stack.admin("POST", "/admin/config/reload", stack.dave());
            assertThat(reload.statusCode()).as(reload.body()).isEqualTo(200);
            assertThat(ReloadStack.json(reload.body()).path("outcome").asText()).isEqualTo("applied");
            versions.add(ReloadStack.json(reload.body()).path("version").asText());
            if (i == 1) {
                retiredInFlightAfterFirst = status().path("retiredInFlight").asLong();
            }
        }
        for (String id : pending) {
            assertThat(stack.approve(id).statusCode()).isEqualTo(200);
        }

        assertThat(versions).doesNotHaveDuplicates().doesNotContain(before);
        assertThat(retiredInFlightAfterFirst).as("exchanges still on the first config after the first reload")
                .isGreaterThanOrEqualTo(HELD);
        String expected = "You said: " + ReloadStack.words(WORDS);
        List<String> requestIds = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> s : streams) {
            HttpResponse<String> r = s.get(120, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(ReloadStack.streamedText(r.body())).isEqualTo(expected);
            assertThat(r.body().trim()).endsWith("data: [DONE]");
            requestIds.add(r.headers().firstValue("Gatehouse-Request-Id").orElseThrow());
        }
        for (CompletableFuture<HttpResponse<String>> h : held) {
            HttpResponse<String> r = h.get(120, TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            requestIds.add(r.headers().firstValue("Gatehouse-Request-Id").orElseThrow());
        }
        for (String id : requestIds) {
            JsonNode record = awaitEnded(id);
            assertThat(record.path("outcome").asText()).as(id).isEqualTo("answered");
            assertThat(record.path("configVersion").asText()).as("the config that decided " + id).isEqualTo(before);
        }
        assertThat(status().path("retiredInFlight").asLong()).isZero();
    }

    @Test
    void aPolicyChangeTakesEffectForTheNextRequestAndItsRecordNamesTheNewVersion() throws Exception {
        HttpResponse<String> allowed = stack.send(stack.post("/v1/chat/completions", stack.alice(),
                ReloadStack.chat("hello", false)));
        stack.writePolicy("[demo-large]");
        HttpResponse<String> reload = stack.admin("POST", "/admin/config/reload", stack.dave());
        HttpResponse<String> denied = stack.send(stack.post("/v1/chat/completions", stack.alice(),
                ReloadStack.chat("hello", false)));

        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(reload.statusCode()).isEqualTo(200);
        JsonNode result = ReloadStack.json(reload.body());
        assertThat(result.path("files").path("changed").toString()).isEqualTo("[\"policies/analysts.yaml\"]");
        assertThat(result.path("endpoints").path("changed").toString()).isEqualTo("[\"openai\"]");
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(denied.headers().firstValue("Content-Type")).contains("application/problem+json");
        String deniedId = denied.headers().firstValue("Gatehouse-Request-Id").orElseThrow();
        assertThat(awaitEnded(deniedId).path("configVersion").asText()).isEqualTo(result.path("version").asText());
        String allowedId = allowed.headers().firstValue("Gatehouse-Request-Id").orElseThrow();
        assertThat(awaitEnded(allowedId).path("configVersion").asText())
                .isEqualTo(result.path("previousVersion").asText());
    }

    @Test
    void aBrokenFileIsRefusedWithFileLineAndColumnAndTheOldPolicyStillAnswers() throws Exception {
        String before = version();
        stack.writePolicy("[demo-small]\n    colour: blue");
        List<String> validate = GatewayAssembly.load(stack.config, name -> null).errors();
        HttpResponse<String> reload = stack.admin("POST", "/admin/config/reload", stack.dave());
        int cliExit = GatehouseCommand.commandLine().execute("reload", "--config", stack.config.toString(),
                "--token", stack.dave());
        HttpResponse<String> still = stack.send(stack.post("/v1/chat/completions", stack.alice(),
                ReloadStack.chat("hello", false)));

        assertThat(validate).hasSize(1);
        assertThat(validate.get(0)).startsWith("policies/analysts.yaml:8:5: ");
        assertThat(reload.statusCode()).isEqualTo(422);
        assertThat(reload.headers().firstValue("Content-Type")).contains("application/problem+json");
        JsonNode problem = ReloadStack.json(reload.body());
        assertThat(problem.path("title").asText()).isEqualTo("Config refused");
        assertThat(problem.path("errors").get(0).asText()).isEqualTo(validate.get(0));
        assertThat(problem.path("version").asText()).isEqualTo(before);
        assertThat(cliExit).isEqualTo(1);
        assertThat(still.statusCode()).isEqualTo(200);
        assertThat(version()).isEqualTo(before);
    }

    @Test
    void aChangedListenerPortIsRefusedNamingTheKeyAndNothingElseOfThatReloadApplies() throws Exception {
        String before = version();
        stack.writePolicy("[demo-large]");
        io.gatehouse.it.support.TempDirs.write(stack.config.resolve("gateway.yaml"),
                stack.gatewayYaml(io.gatehouse.it.support.Loopback.freePort()));
        HttpResponse<String> reload = stack.admin("POST", "/admin/config/reload", stack.dave());
        HttpResponse<String> still = stack.send(stack.post("/v1/chat/completions", stack.alice(),
                ReloadStack.chat("hello", false)));

        assertThat(reload.statusCode()).isEqualTo(422);
        assertThat(ReloadStack.json(reload.body()).path("errors").get(0).asText()).isEqualTo("gateway.yaml: field"
                + " 'listeners.http': changed, but it cannot change while the gateway runs; restart the gateway to"
                + " apply it (nothing of this reload was applied)");
        assertThat(still.statusCode()).as("the policy change in the same reload was not applied").isEqualTo(200);
        assertThat(version()).isEqualTo(before);
    }

    @Test
    void anEndpointAddedByAReloadServesAndOneRemovedAnswersNotFound() throws Exception {
        io.gatehouse.it.support.TempDirs.write(stack.config.resolve("endpoints/raw.yaml"), "id: raw\nlistener: http\n"
                + "path: /raw\nprotocol: raw\ntarget:\n  agent: local\n  service: demo-model\npipeline:\n"
                + "  - recording: {}\n");
        HttpResponse<String> added = stack.admin("POST", "/admin/config/reload", stack.dave());
        HttpResponse<String> served = stack.send(stack.post("/raw/v1/models", stack.alice(), "{}"));
        java.nio.file.Files.delete(stack.config.resolve("endpoints/raw.yaml"));
        HttpResponse<String> removed = stack.admin("POST", "/admin/config/reload", stack.dave());
        HttpResponse<String> gone = stack.send(stack.post("/raw/v1/models", stack.alice(), "{}"));

        assertThat(ReloadStack.json(added.body()).path("endpoints").path("added").toString()).isEqualTo("[\"raw\"]");
        // The raw endpoint forwards /raw/v1/models as it is, which the model does not serve: its 404, recorded
        // by the new endpoint's recording step.
        JsonNode servedRecord = awaitEnded(served.headers().firstValue("Gatehouse-Request-Id").orElseThrow());
        assertThat(servedRecord.path("endpoint").asText()).isEqualTo("raw");
        assertThat(servedRecord.path("outcome").asText()).isEqualTo("answered");
        assertThat(ReloadStack.json(removed.body()).path("endpoints").path("removed").toString())
                .isEqualTo("[\"raw\"]");
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(ReloadStack.json(gone.body()).path("detail").asText())
                .isEqualTo("no endpoint serves path '/raw/v1/models' on this listener");
    }

    private static String version() throws Exception {
        return status().path("version").asText();
    }

    private static JsonNode status() throws Exception {
        HttpResponse<String> r = stack.admin("GET", "/admin/config", stack.dave());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return ReloadStack.json(r.body());
    }

    private static JsonNode awaitEnded(String requestId) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        JsonNode record = null;
        while (System.nanoTime() < deadline) {
            record = stack.record(requestId);
            if (record != null && record.path("complete").asBoolean(false)) {
                return record;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no complete record of " + requestId + ": " + record);
    }
}
