package io.gatehouse.gateway.admin.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnswerDiffTest {

    private static AnswerDiff.Answer json(String body) {
        return new AnswerDiff.Answer(200, "application/json", false, body.getBytes(StandardCharsets.UTF_8));
    }

    private static AnswerDiff.Answer sse(String body) {
        return new AnswerDiff.Answer(200, "text/event-stream", true, body.getBytes(StandardCharsets.UTF_8));
    }

    private static String chat(String id, long created, String content) {
        return "{\"id\":\"" + id + "\",\"object\":\"chat.completion\",\"created\":" + created + ",\"model\":\"demo-small\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + content + "\"},"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":3,\"total_tokens\":4}}";
    }

    @Test
    void jsonAnswersThatDifferOnlyInIdAndCreatedAreTheSameByDefault() {
        ObjectNode diff = AnswerDiff.compare(json(chat("chatcmpl-1", 1000, "You said: hi")),
                json(chat("chatcmpl-9", 2000, "You said: hi")), AnswerDiff.DEFAULT_IGNORED);

        assertThat(diff.path("outcome").asText()).isEqualTo("same");
        assertThat(diff.path("kind").asText()).isEqualTo("json");
        assertThat(diff.path("changes")).isEmpty();
        assertThat(diff.path("replayedAnswer").path("id").asText()).isEqualTo("chatcmpl-9");
    }

    @Test
    void aChangedAnswerIsAReplaceAtItsPointerWithBothValues() {
        ObjectNode diff = AnswerDiff.compare(json(chat("a", 1, "You said: hi")), json(chat("b", 2, "Shadow says: hi")),
                AnswerDiff.DEFAULT_IGNORED);

        assertThat(diff.path("outcome").asText()).isEqualTo("different");
        JsonNode changes = diff.path("changes");
        assertThat(changes).hasSize(1);
        assertThat(changes.get(0).path("op").asText()).isEqualTo("replace");
        assertThat(changes.get(0).path("path").asText()).isEqualTo("/choices/0/message/content");
        assertThat(changes.get(0).path("recorded").asText()).isEqualTo("You said: hi");
        assertThat(changes.get(0).path("replayed").asText()).isEqualTo("Shadow says: hi");
    }

    @Test
    void withNothingIgnoredIdAndCreatedAreChanges() {
        ObjectNode diff = AnswerDiff.compare(json(chat("a", 1, "x")), json(chat("b", 2, "x")), List.of());

        assertThat(diff.path("outcome").asText()).isEqualTo("different");
        assertThat(diff.path("changes").findValuesAsText("path")).containsExactly("/id", "/created");
    }

    @Test
    void addedAndRemovedMembersAndArrayElementsAreNamed() {
        ObjectNode diff = AnswerDiff.compare(json("{\"a\":1,\"list\":[1,2,3]}"),
                json("{\"b\":true,\"list\":[1,3]}"), List.of());

        assertThat(diff.path("changes").toString()).contains("{\"op\":\"remove\",\"path\":\"/a\",\"recorded\":1}")
                .contains("{\"op\":\"add\",\"path\":\"/b\",\"replayed\":true}")
                .contains("{\"op\":\"remove\",\"path\":\"/list/1\",\"recorded\":2}");
    }

    @Test
    void aWildcardPointerIgnoresAMemberOfEveryElement() {
        ObjectNode diff = AnswerDiff.compare(json("{\"data\":[{\"i\":1,\"v\":\"a\"},{\"i\":2,\"v\":\"b\"}]}"),
                json("{\"data\":[{\"i\":7,\"v\":\"a\"},{\"i\":8,\"v\":\"b\"}]}"), List.of("/data/*/i"));

        assertThat(diff.path("outcome").asText()).isEqualTo("same");
    }

    @Test
    void aDifferentStatusAloneMakesTheAnswersDifferent() {
        AnswerDiff.Answer failed = new AnswerDiff.Answer(500, "application/json", false,
                chat("a", 1, "x").getBytes(StandardCharsets.UTF_8));
        ObjectNode diff = AnswerDiff.compare(json(chat("a", 1, "x")), failed, AnswerDiff.DEFAULT_IGNORED);

        assertThat(diff.path("outcome").asText()).isEqualTo("different");
        assertThat(diff.path("changes")).isEmpty();
        assertThat(diff.path("status").toString()).isEqualTo("{\"recorded\":200,\"replayed\":500}");
    }

    @Test
    void streamedAnswersAreComparedByTheTextTheirEventsCarry() {
        String a = "data: {\"id\":\"1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"You\"}}]}\n\n"
                + "data: {\"id\":\"1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" said: hi\"}}]}\n\n"
                + "data: [DONE]\n\n";
        String sameText = "data: {\"id\":\"2\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"You said:\"}}]}\n\n"
                + "data: {\"id\":\"2\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" hi\"}}]}\n\ndata: [DONE]\n\n";
        String other = "data: {\"id\":\"3\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Shadow says: hi\"}}]}\n\n"
                + "data: [DONE]\n\n";

        ObjectNode same = AnswerDiff.compare(sse(a), sse(sameText), AnswerDiff.DEFAULT_IGNORED);
        ObjectNode different = AnswerDiff.compare(sse(a), sse(other), AnswerDiff.DEFAULT_IGNORED);

        assertThat(same.path("kind").asText()).isEqualTo("stream-text");
        assertThat(same.path("outcome").asText()).isEqualTo("same");
        assertThat(same.path("recordedAnswer").asText()).isEqualTo("You said: hi");
        assertThat(different.path("outcome").asText()).isEqualTo("different");
        assertThat(different.path("inline").asText()).isEqualTo("[-You-]{+Shadow+} [-said:-]{+says:+} hi\n");
        assertThat(different.path("unified").asText()).isEqualTo("--- recorded\n+++ replayed\n@@ -1,1 +1,1 @@\n"
                + "-You said: hi\n+Shadow says: hi\n");
    }

    @Test
    void ollamaNdjsonStreamsAreComparedByTheirMessageText() {
        AnswerDiff.Answer a = new AnswerDiff.Answer(200, "application/x-ndjson", true,
                ("{\"message\":{\"content\":\"You\"},\"done\":false}\n{\"message\":{\"content\":\" said\"},"
                        + "\"done\":false}\n{\"done\":true,\"total_duration\":5}\n").getBytes(StandardCharsets.UTF_8));
        AnswerDiff.Answer b = new AnswerDiff.Answer(200, "application/x-ndjson", true,
                ("{\"message\":{\"content\":\"You said\"},\"done\":false}\n{\"done\":true,\"total_duration\":9}\n")
                        .getBytes(StandardCharsets.UTF_8));

        assertThat(AnswerDiff.compare(a, b, AnswerDiff.DEFAULT_IGNORED).path("outcome").asText()).isEqualTo("same");
    }

    @Test
    void plainTextIsDiffedLineByLine() {
        AnswerDiff.Answer a = new AnswerDiff.Answer(200, "text/plain", false,
                "one\ntwo\nthree\n".getBytes(StandardCharsets.UTF_8));
        AnswerDiff.Answer b = new AnswerDiff.Answer(200, "text/plain", false,
                "one\nTWO\nthree\n".getBytes(StandardCharsets.UTF_8));

        ObjectNode diff = AnswerDiff.compare(a, b, List.of());

        assertThat(diff.path("kind").asText()).isEqualTo("text");
        assertThat(diff.path("unified").asText()).isEqualTo("--- recorded\n+++ replayed\n@@ -1,3 +1,3 @@\n one\n-two\n"
                + "+TWO\n three\n");
        assertThat(diff.path("inline").asText()).isEqualTo("[-two-]{+TWO+}\n");
    }

    @Test
    void aStreamWhoseEventsAreNotKnownJsonIsComparedAsRawText() {
        assertThat(AnswerDiff.streamText(sse("data: hello\n\ndata: world\n\n"))).isEqualTo("data: hello\n\ndata: world\n\n");
    }

    @Test
    void severalChoicesAreHeadedByTheirIndex() {
        String two = "data: {\"choices\":[{\"index\":1,\"delta\":{\"content\":\"b\"}}]}\n\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n";
        assertThat(AnswerDiff.streamText(sse(two))).isEqualTo("[choice 0] a\n[choice 1] b\n");
    }

    @Test
    void aPointerWithoutLeadingSlashIsRefused() {
        assertThatThrownBy(() -> AnswerDiff.tokens("id")).hasMessage("'id' is not a JSON Pointer (expected e.g. /id or"
                + " /choices/*/index)");
    }
}
