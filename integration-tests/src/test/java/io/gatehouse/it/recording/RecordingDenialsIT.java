package io.gatehouse.it.recording;

import static io.gatehouse.it.recording.RecordingIT.admin;
import static io.gatehouse.it.recording.RecordingIT.chat;
import static io.gatehouse.it.recording.RecordingIT.record;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Denials leave records: 401 from auth, 413 from limits, 403 and 429 from two small test steps
 * ({@link TestDenials}), and the gateway's own refusals before any step (malformed body, unknown path).
 */
class RecordingDenialsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();

    private static RecordingStack stack;
    private static String alice;
    private static String ada;

    @BeforeAll
    static void start() throws Exception {
        stack = RecordingStack.prepare(new RecordingStack.Options()
                .steps("  - test-forbid: {header: X-Test-Forbid}\n  - test-rate: {header: X-Test-Rate}\n",
                        new TestDenials.Forbid(), new TestDenials.Rate()))
                .startInJvm();
        alice = stack.token("alice", "analysts");
        ada = stack.token("ada", "auditors");
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void denialsByAuthLimitsPolicyAndRateLeaveRecordsWithTheirRule() throws Exception {
        HttpResponse<String> noToken = chat(stack, null, RecordingIT.body("who am i", false));
        HttpResponse<String> tooLarge = chat(stack, alice, RecordingIT.body("x".repeat(2048), false));
        HttpResponse<String> forbidden = chat(stack, alice, RecordingIT.body("big model", false), "X-Test-Forbid", "1");
        HttpResponse<String> limited = chat(stack, alice, RecordingIT.body("again", false), "X-Test-Rate", "1");
        assertThat(List.of(noToken.statusCode(), tooLarge.statusCode(), forbidden.statusCode(), limited.statusCode()))
                .containsExactly(401, 413, 403, 429);

        JsonNode r401 = record(stack, noToken, ada);
        assertThat(r401.get("decision").asText()).isEqualTo("denied");
        assertThat(r401.get("status").asInt()).isEqualTo(401);
        assertThat(r401.at("/rule/policy").asText()).isEqualTo("auth");
        assertThat(r401.get("identity").isNull()).isTrue();
        assertThat(r401.at("/denial/headers/WWW-Authenticate").asText()).startsWith("Bearer");

        JsonNode r413 = record(stack, tooLarge, ada);
        assertThat(r413.at("/rule/policy").asText()).isEqualTo("limits");
        assertThat(r413.at("/rule/rule").asText()).isEqualTo("max-body-bytes");
        assertThat(r413.at("/request/body/size").asInt()).isGreaterThan(2048);

        JsonNode r403 = record(stack, forbidden, ada);
        assertThat(r403.at("/rule").toString()).isEqualTo("{\"policy\":\"test-policy\",\"reason\":\"model not allowed"
                + " for analysts\",\"rule\":\"analysts-small-only\"}");
        assertThat(r403.get("username").asText()).isEqualTo("alice");

        JsonNode r429 = record(stack, limited, ada);
        assertThat(r429.get("status").asInt()).isEqualTo(429);
        assertThat(r429.at("/denial/headers/Retry-After").asText()).isEqualTo("6");

        JsonNode denied = JSON.readTree(admin(stack, "/admin/sessions?user=alice&decision=denied&endpoint=openai", ada)
                .body());
        List<String> ids = new ArrayList<>();
        denied.get("sessions").forEach(s -> ids.add(s.get("recordId").asText()));
        assertThat(ids).contains(r403.get("recordId").asText(), r429.get("recordId").asText())
                .doesNotContain(r401.get("recordId").asText());
    }

    @Test
    void whatTheGatewayRefusesBeforeAnyStepDecidesIsRecordedTooMalformedBodiesAndUnknownPaths() throws Exception {
        HttpResponse<String> malformed = chat(stack, alice, "{\"model\":");
        HttpResponse<String> unknownPath = HTTP.send(HttpRequest.newBuilder(stack.uri("/v1x/models"))
                .header("Authorization", "Bearer " + alice).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(List.of(malformed.statusCode(), unknownPath.statusCode())).containsExactly(400, 404);

        JsonNode r400 = record(stack, malformed, ada);
        assertThat(r400.get("decision").asText()).isEqualTo("denied");
        assertThat(r400.at("/rule/policy").asText()).isEqualTo("gateway");
        assertThat(r400.at("/rule/rule").asText()).isEqualTo("malformed-body");
        assertThat(r400.get("identity").isNull()).isTrue(); // refused before auth: nobody was identified

        JsonNode r404 = record(stack, unknownPath, ada);
        assertThat(r404.get("status").asInt()).isEqualTo(404);
        assertThat(r404.at("/rule/rule").asText()).isEqualTo("unknown-path");
        assertThat(r404.at("/request/path").asText()).isEqualTo("/v1x/models");
    }
}
