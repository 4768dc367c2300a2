package io.gatehouse.gateway.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.engine.InboundRequest;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The OpenAI adapter lets the SDKs' multipart file uploads through (approvals' batch-job flow needs them). */
class OpenAiFileUploadTest {

    private static InboundRequest request(String path, String contentType, String body) {
        return new InboundRequest("POST", path, "", new Headers().add("Content-Type", contentType), null,
                body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aMultipartFileUploadIsAFileUploadWithoutAJsonBody() {
        Operation op = new OpenAiAdapter().parse(request("/v1/files", "multipart/form-data; boundary=b",
                "--b\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--b--\r\n"));

        assertThat(op.kind()).isEqualTo(OperationKind.FILE_UPLOAD);
        assertThat(op.model()).isNull();
        assertThat(op.batch()).isEqualTo(1);
    }

    @Test
    void aNonJsonBodyThatIsNotMultipartIsStillMalformed() {
        assertThatThrownBy(() -> new OpenAiAdapter().parse(request("/v1/batches", "application/json", "not json")))
                .isInstanceOf(MalformedRequestException.class)
                .hasMessage("the request body is not valid JSON (line 1, column 1)");
    }
}
