package io.gatehouse.it.servers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.errors.PermissionDeniedException;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FilePurpose;
import com.openai.models.finetuning.jobs.FineTuningJob;
import com.openai.models.finetuning.jobs.JobCreateParams;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OpenAI fine-tuning through the real gateway with the official OpenAI Java SDK: creating a job is held for a
 * lead and runs once on the approved retry; reading jobs is not held; a job on a model no rule names is refused.
 */
class FineTuningIT {

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

    private static OpenAIClient sdk(String token) {
        return OpenAIOkHttpClient.builder().baseUrl(stack.base() + "/v1").apiKey(token).maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
    }

    @Test
    void aFineTuningJobIsHeldThenCreatedOnceOnTheApprovedRetryAndReadWithoutApproval() throws Exception {
        Path training = Files.writeString(Files.createTempFile("train", ".jsonl"),
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
                        + "{\"role\":\"assistant\",\"content\":\"hello\"}]}\n");
        OpenAIClient alice = sdk(stack.alice());
        try {
            String file = alice.files().create(FileCreateParams.builder().file(training)
                    .purpose(FilePurpose.FINE_TUNE).build()).id();
            JobCreateParams params = JobCreateParams.builder().model("demo-small").trainingFile(file).suffix("support")
                    .build();
            String id;
            try (HttpResponseFor<FineTuningJob> held = alice.fineTuning().jobs().withRawResponse().create(params)) {
                assertThat(held.statusCode()).isEqualTo(202);
                id = held.headers().values("Gatehouse-Approval").get(0);
                try (InputStream in = held.body()) {
                    assertThat(ModelServersStack.json(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                            .path("summary").asText())
                            .isEqualTo("fine-tune, model demo-small, POST /v1/fine_tuning/jobs on openai");
                }
            }
            assertThat(stack.model.adminCounters().get("openai.fine_tuning.create")).isZero();

            stack.approve(id, stack.carol());
            FineTuningJob job = alice.fineTuning().jobs().create(params.toBuilder()
                    .putAdditionalHeader("Gatehouse-Approval", id).build());
            FineTuningJob read = alice.fineTuning().jobs().retrieve(job.id());

            assertThat(job.status()).isEqualTo(FineTuningJob.Status.QUEUED);
            assertThat(job.trainingFile()).isEqualTo(file);
            assertThat(read.status()).isEqualTo(FineTuningJob.Status.SUCCEEDED);
            assertThat(read.fineTunedModel()).contains("ft:demo-small:support:" + job.id());
            assertThat(alice.fineTuning().jobs().list().data()).extracting(FineTuningJob::id).contains(job.id());
            assertThat(stack.model.adminCounters().get("openai.fine_tuning.create")).isEqualTo(1);
            assertThatThrownBy(() -> alice.fineTuning().jobs().create(params.toBuilder()
                    .putAdditionalHeader("Gatehouse-Approval", id).build()))
                    .as("the approval was used").isInstanceOf(PermissionDeniedException.class);
            assertThatThrownBy(() -> alice.fineTuning().jobs().create(params.toBuilder().model("demo-large").build()))
                    .isInstanceOf(PermissionDeniedException.class);
            assertThat(stack.model.adminCounters().get("openai.fine_tuning.create")).isEqualTo(1);
        } finally {
            alice.close();
            Files.deleteIfExists(training);
        }
    }
}
