package io.gatehouse.it.servers;

import static io.gatehouse.it.servers.ModelServersStack.json;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * vLLM's runtime LoRA admin through the real gateway ({@code /v1}): a load is model administration of the
 * adapter it names, held for another lead, forwarded exactly once when approved; the adapter then serves as
 * a model. Callers without a rule naming model-load, or loading an adapter no rule names, are refused.
 */
class VllmLoraIT {

    private static ModelServersStack stack;

    @BeforeAll
    static void start() throws Exception {
        stack = ModelServersStack.start();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void aLoraLoadIsHeldApprovedByAnotherLeadForwardedOnceAndTheAdapterThenAnswersAsAModel() throws Exception {
        String body = "{\"lora_name\":\"sql-lora\",\"lora_path\":\"/adapters/sql\"}";
        HttpResponse<String> held = stack.post("/v1/load_lora_adapter", stack.carol(), body);
        String id = json(held.body()).path("id").asText();

        assertThat(held.statusCode()).as(held.body()).isEqualTo(202);
        assertThat(json(held.body()).path("summary").asText())
                .isEqualTo("model-load, model sql-lora, POST /v1/load_lora_adapter on openai");
        assertThat(stack.model.adminCounters().get("vllm.load_lora_adapter")).isZero();

        stack.approve(id, stack.erin());
        HttpResponse<String> loaded = stack.post("/v1/load_lora_adapter", stack.carol(), body,
                "Gatehouse-Approval", id);
        HttpResponse<String> again = stack.post("/v1/load_lora_adapter", stack.carol(), body,
                "Gatehouse-Approval", id);
        HttpResponse<String> chat = stack.post("/v1/chat/completions", stack.carol(), "{\"model\":\"sql-lora\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"select\"}]}");

        assertThat(loaded.statusCode()).as(loaded.body()).isEqualTo(200);
        assertThat(loaded.body()).isEqualTo("Success: LoRA adapter 'sql-lora' added successfully.");
        assertThat(again.statusCode()).isEqualTo(403);
        assertThat(stack.model.adminCounters().get("vllm.load_lora_adapter")).isEqualTo(1);
        assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
        assertThat(json(chat.body()).at("/choices/0/message/content").asText()).isEqualTo("You said: select");
        assertThat(json(stack.send("GET", "/v1/models", stack.carol(), null).body()).path("data")
                .findValuesAsText("id")).contains("sql-lora");
        assertThat(stack.record(loaded).at("/operation/model").asText()).isEqualTo("sql-lora");
        assertThat(stack.record(loaded).at("/approvalId").asText()).isEqualTo(id);
    }

    @Test
    void anUnloadIsHeldTooAndLoadsByAUserOrOfAnAdapterNoRuleNamesAreRefused() throws Exception {
        HttpResponse<String> unload = stack.post("/v1/unload_lora_adapter", stack.carol(), "{\"lora_name\":\"sql-x\"}");
        HttpResponse<String> byAlice = stack.post("/v1/load_lora_adapter", stack.alice(),
                "{\"lora_name\":\"sql-mine\",\"lora_path\":\"/tmp/a\"}");
        HttpResponse<String> unnamed = stack.post("/v1/load_lora_adapter", stack.carol(),
                "{\"lora_name\":\"backdoor\",\"lora_path\":\"/tmp/b\"}");

        assertThat(unload.statusCode()).as(unload.body()).isEqualTo(202);
        assertThat(json(unload.body()).path("summary").asText())
                .isEqualTo("model-unload, model sql-x, POST /v1/unload_lora_adapter on openai");
        assertThat(byAlice.statusCode()).isEqualTo(403);
        assertThat(unnamed.statusCode()).isEqualTo(403);
        assertThat(stack.model.adminCounters().get("vllm.unload_lora_adapter")).isZero();
    }
}
