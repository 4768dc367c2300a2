package io.gatehouse.it.dialout;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.gatehouse.it.support.TestAgent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The agent reads its model key from a {@code file:} secret laid out as a Kubernetes secret volume (the file is a
 * symlink through {@code ..data}, which the kubelet swaps atomically). The key is rotated while requests run:
 * none fails, the model sees the new key from one call on and never the old one after it, and the agent logs the
 * rotation without the value.
 */
class FileSecretRotationIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static DialOutStack stack;
    private static Path volume;

    @BeforeAll
    static void start() throws Exception {
        stack = DialOutStack.start();
        volume = stack.root.resolve("secret-volume");
        Files.createDirectories(volume);
        writeVersion("..2026_12_06_10_00_00.1", stack.modelKey);
        Files.createSymbolicLink(volume.resolve("..data"), Path.of("..2026_12_06_10_00_00.1"));
        Files.createSymbolicLink(volume.resolve("api-key"), Path.of("..data/api-key"));
        stack.startAgent("rotating", "local", stack.certificate("agent-a"), stack.ca(), "file:" + volume.resolve("api-key"));
        stack.awaitAttached(1);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void aKeyRotatedInASecretVolumeIsUsedFromTheNextCallsWithNoFailedCallAndNoValueInTheLog() throws Exception {
        String token = stack.token("lars", "load-testers");
        String newKey = TestAgent.randomKey();
        stack.model.alsoAccept(newKey);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        ((Logger) LoggerFactory.getLogger("io.gatehouse.agent.CredentialSource")).addAppender(log);

        List<Integer> statuses = new ArrayList<>();
        List<Integer> newKeyUsesAfterEachCall = new ArrayList<>();
        List<Integer> oldKeyUsesAfterEachCall = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            if (i == 40) {
                rotateTo(newKey);
            }
            if (i >= 40 && stack.model.keyUses(newKey) == 0) {
                Thread.sleep(20); // the agent learns of the swap from the file system, a moment later
            }
            statuses.add(chat(token, "call " + i));
            newKeyUsesAfterEachCall.add(stack.model.keyUses(newKey));
            oldKeyUsesAfterEachCall.add(stack.model.keyUses(stack.modelKey));
        }

        assertThat(statuses).containsOnly(200);
        int firstNew = newKeyUsesAfterEachCall.indexOf(1);
        assertThat(firstNew).as("a call used the new key").isBetween(40, 119);
        // From the first call with the new key on, the old key is never presented again.
        assertThat(oldKeyUsesAfterEachCall.subList(firstNew, 120)).containsOnly(oldKeyUsesAfterEachCall.get(firstNew));
        assertThat(newKeyUsesAfterEachCall.get(119)).isEqualTo(120 - firstNew);
        List<String> lines = log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(lines).anyMatch(l -> l.contains("service 'demo-model': credential rotated"));
        assertThat(String.join("\n", lines)).doesNotContain(newKey).doesNotContain(stack.modelKey);
    }

    /** What the kubelet does: a new timestamped directory, a new ..data symlink renamed over the old one. */
    private static void rotateTo(String key) throws Exception {
        writeVersion("..2026_12_06_11_00_00.2", key);
        Path tmp = volume.resolve("..data_tmp");
        Files.createSymbolicLink(tmp, Path.of("..2026_12_06_11_00_00.2"));
        Files.move(tmp, volume.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void writeVersion(String directory, String key) throws Exception {
        Path dir = Files.createDirectories(volume.resolve(directory));
        Files.writeString(dir.resolve("api-key"), key + "\n");
    }

    private static int chat(String token, String text) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(stack.baseUrl() + "/chat/completions")).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"demo-small\",\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"" + text + "\"}]}")).build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
    }
}
