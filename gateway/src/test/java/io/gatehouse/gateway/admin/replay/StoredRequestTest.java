package io.gatehouse.gateway.admin.replay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class StoredRequestTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode record(String body, String storedMasking) throws Exception {
        return JSON.readTree("{\"request\":{\"body\":" + body + "},\"storedMasking\":" + storedMasking + "}");
    }

    @Test
    void aWholeUnmaskedBodyMayBeReplayed() throws Exception {
        assertThat(StoredRequest.check(record("{\"size\":20,\"truncated\":false,\"text\":\"{\\\"model\\\":\\\"m\\\"}\"}",
                "{\"request\":{},\"response\":{}}"))).isNull();
    }

    @Test
    void aCutBodyIsRefusedAsIncomplete() throws Exception {
        StoredRequest.Refusal r = StoredRequest.check(record("{\"size\":900,\"truncated\":true,\"text\":\"{\"}", "null"));

        assertThat(r.reason()).startsWith("the stored request body is incomplete: the recording cut it (900 bytes");
    }

    @Test
    void anOmittedBodyIsRefusedAsIncomplete() throws Exception {
        StoredRequest.Refusal r = StoredRequest.check(record("{\"size\":12,\"omitted\":\"unreadable\"}", "null"));

        assertThat(r.reason()).isEqualTo("the stored request body is incomplete: the recording kept none of its 12"
                + " bytes (unreadable)");
    }

    @Test
    void maskedFieldsAreNamedByPointerWithTheDetectorCounts() throws Exception {
        String text = "{\\\"model\\\":\\\"m\\\",\\\"messages\\\":[{\\\"role\\\":\\\"user\\\",\\\"content\\\":"
                + "\\\"mail [EMAIL] now\\\"}]}";
        StoredRequest.Refusal r = StoredRequest.check(record("{\"size\":80,\"truncated\":false,\"text\":\"" + text
                + "\"}", "{\"request\":{\"email\":1},\"response\":{}}"));

        assertThat(r.masked()).containsExactly("/messages/0/content");
        assertThat(r.detectors().toString()).isEqualTo("{\"email\":1}");
        assertThat(r.reason()).isEqualTo("the stored request body has masked fields: /messages/0/content (masked by"
                + " the recording: {\"email\":1}); it is not the request the model saw, so it is not re-sent");
    }

    @Test
    void aRedactedFieldIsRefusedEvenWithoutMaskingCounts() throws Exception {
        StoredRequest.Refusal r = StoredRequest.check(record("{\"size\":30,\"truncated\":false,\"redactions\":1,"
                + "\"text\":\"{\\\"api_key\\\":\\\"[redacted]\\\"}\"}", "null"));

        assertThat(r.masked()).containsExactly("/api_key");
    }

    @Test
    void maskLikeTextInAnUnmaskedRecordIsNotAMask() throws Exception {
        assertThat(StoredRequest.check(record("{\"size\":30,\"truncated\":false,\"text\":\"{\\\"q\\\":\\\"what is"
                + " [EMAIL]?\\\"}\"}", "{\"request\":{},\"response\":{}}"))).isNull();
    }
}
