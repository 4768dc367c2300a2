package io.gatehouse.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The compose quick start, really up, and docker/README.md's curl lines against it: a token from Keycloak, then a
 * chat completion through the gateway. Needs a Docker engine with compose; skipped elsewhere, saying so.
 */
class ComposeStackTest {

    @Test
    void theReadmesCurlLinesWorkAgainstTheComposeStack() throws Exception {
        boolean docker;
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            docker = false;
        }
        Assumptions.assumeTrue(docker, "skipped: no Docker engine on this machine (Testcontainers found none), so the "
                + "compose stack cannot be brought up; ComposeFileTest checks the file by reading");
        String modelKey = "sk-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(24));
        String dbPassword = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));
        try (ComposeContainer stack = new ComposeContainer(new File(ComposeFileTest.DOCKER.resolve("compose.yaml").toString()))
                .withEnv(Map.of("MODEL_API_KEY", modelKey, "DB_PASSWORD", dbPassword))
                .withBuild(true)
                .waitingFor("gateway", Wait.forHealthcheck().withStartupTimeout(Duration.ofMinutes(10)))) {
            stack.start();
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> token = http.send(HttpRequest.newBuilder(
                            URI.create("http://localhost:8180/realms/gatehouse/protocol/openid-connect/token"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "grant_type=password&client_id=gatehouse&username=alice&password=alice-password"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(token.statusCode()).isEqualTo(200);
            Matcher m = Pattern.compile("\"access_token\":\"([^\"]+)\"").matcher(token.body());
            assertThat(m.find()).isTrue();
            HttpResponse<String> chat = http.send(HttpRequest.newBuilder(
                            URI.create("http://localhost:8080/v1/chat/completions"))
                    .header("Authorization", "Bearer " + m.group(1))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
            assertThat(chat.headers().firstValue("Gatehouse-Request-Id")).isPresent();
            assertThat(chat.body()).contains("\"choices\"");
        }
    }
}
