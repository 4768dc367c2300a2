package io.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The demo's sample model runs as its own JVM: the CLI only knows its jar and main class by name. The
 * test starts it from this test class path, which has the sample model (test scope); the CLI's run-time
 * class path does not (the enforcer checks it).
 */
class SampleModelProcessTest {

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void theSampleModelRunsInItsOwnProcessAndAnswersOnlyTheKeyItWasGiven() throws Exception {
        int port = freePort();
        int grpcPort = freePort();
        try (SampleModelProcess model = SampleModelProcess.start(System.getProperty("java.class.path"), "127.0.0.1",
                port, grpcPort, Duration.ZERO, "sk-test-key")) {
            assertThat(model.pid()).isNotEqualTo(ProcessHandle.current().pid());

            assertThat(models(port, "sk-test-key").statusCode()).isEqualTo(200);
            assertThat(models(port, "sk-test-key").body()).contains("\"demo-small\"");
            assertThat(models(port, "another-key").statusCode()).isEqualTo(401);

            model.close();
            assertThat(model.isAlive()).isFalse();
        }
    }

    @Test
    void anUnbuiltSampleModelIsNamedWithHowToBuildItAndNothingStarts() {
        String classpath = "/nonexistent/sample-model/target/gatehouse-sample-model.jar";

        assertThat(SampleModelProcess.missing(classpath)).contains("the sample model is not built: '" + classpath
                + "' does not exist (./gatehouse builds it; or run mvn -B -DskipTests -pl sample-model -am package,"
                + " or set GATEHOUSE_SAMPLE_MODEL_CP to its jar)");
        assertThatThrownBy(() -> SampleModelProcess.start(classpath, "127.0.0.1", 0, 0, Duration.ZERO, "k"))
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("the sample model is not built");
    }

    @Test
    void theClassPathComesFromTheOptionThenTheEnvironmentThenTheBuiltTree() {
        Map<String, String> env = Map.of("GATEHOUSE_SAMPLE_MODEL_CP", "/opt/model.jar");

        assertThat(SampleModelProcess.classpath("given.jar", env::get)).isEqualTo("given.jar");
        assertThat(SampleModelProcess.classpath(null, env::get)).isEqualTo("/opt/model.jar");
        assertThat(SampleModelProcess.classpath(null, name -> null))
                .isEqualTo("sample-model/target/gatehouse-sample-model.jar");
    }

    private HttpResponse<String> models(int port, String key) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/models"))
                .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
