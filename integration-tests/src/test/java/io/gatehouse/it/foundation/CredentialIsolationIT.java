package io.gatehouse.it.foundation;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The model's credential lives in the agent only: it shows in no log of the (in-process) stack and in
 * no answer to the client, and the caller's own token never reaches the model.
 */
class CredentialIsolationIT {

    private static RecordingUpstream recorder;
    private static Stack stack;

    @BeforeAll
    static void start() throws Exception {
        recorder = RecordingUpstream.start(Duration.ZERO);
        stack = Stack.start(new Stack.Options().extra("recorded", "/recorded", "recorder", recorder.uri()));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
        if (recorder != null) {
            recorder.close();
        }
    }

    @Test
    void theModelsKeyAppearsInNoLogEventAndNoResponseThroughNormalStreamedAndFailedExchanges() throws Exception {
        String key = stack.modelKey;
        String token = stack.token();
        List<HttpResponse<String>> responses = new ArrayList<>();
        List<String> streamed;
        List<String> logs;
        try (LogCapture capture = LogCapture.everything()) {
            HttpResponse<String> chat = Http.postJson(stack.uri("/v1/chat/completions"), token, Http.chat("hi", false));
            responses.add(chat);
            HttpResponse<String> models = Http.get(stack.uri("/v1/models"), token);
            responses.add(models);
            Http.SseReader stream = Http.stream(stack.uri("/v1/chat/completions"), token, Http.chat("a b c", true),
                    "X-Sample-Token-Delay-Ms", "10");
            streamed = stream.done.get(30, TimeUnit.SECONDS);
            HttpResponse<Void> streamHead = stream.response.get(30, TimeUnit.SECONDS);
            HttpResponse<String> unknownModel = Http.postJson(stack.uri("/v1/chat/completions"), token,
                    "{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
            responses.add(unknownModel);
            HttpResponse<String> noToken = Http.get(stack.uri("/v1/models"), null);
            responses.add(noToken);
            stack.stopModel();
            HttpResponse<String> modelDown = Http.postJson(stack.uri("/v1/chat/completions"), token,
                    Http.chat("anyone there?", false));
            responses.add(modelDown);
            logs = capture.lines();

            // Each exchange went where it should, so the checks below looked at real traffic.
            assertThat(chat.statusCode()).isEqualTo(200);
            assertThat(chat.body()).contains("You said: hi");
            assertThat(models.statusCode()).isEqualTo(200);
            assertThat(streamHead.statusCode()).isEqualTo(200);
            assertThat(streamed).contains("data: [DONE]");
            assertThat(unknownModel.statusCode()).isEqualTo(404);
            assertThat(Http.json(unknownModel).at("/error/code").asText()).isEqualTo("model_not_found");
            assertThat(noToken.statusCode()).isEqualTo(401);
            assertThat(modelDown.statusCode()).isEqualTo(503);
            assertThat(modelDown.headers().firstValue("Content-Type")).contains("application/problem+json");
            assertThat(Http.json(modelDown).path("title").asText()).isEqualTo("Model unavailable");
            responses.forEach(r -> assertThat(r.headers().firstValue("Gatehouse-Request-Id")).isPresent());
        }

        // The capture saw the stack's logs (agent call lines, the gateway's failure line) at DEBUG.
        assertThat(logs).anyMatch(l -> l.contains("forward request_id=") && l.contains("status=200"));
        assertThat(logs).anyMatch(l -> l.contains("failed:") && l.contains("unreachable"));
        String hex = key.substring("sk-it-".length());
        assertThat(logs).as("log events").noneMatch(l -> l.contains(hex));
        for (HttpResponse<String> r : responses) {
            assertThat(r.body()).as("body of %s", r.uri()).doesNotContain(hex);
            assertThat(r.headers().map().toString()).as("headers of %s", r.uri()).doesNotContain(hex);
        }
        assertThat(String.join("\n", streamed)).doesNotContain(hex);
    }

    @Test
    void theCallersTokenNeverReachesTheModelWhichGetsTheAgentsKeyInstead() {
        String token = stack.token();

        HttpResponse<String> response = Http.postJson(stack.uri("/recorded/v1/chat/completions"), token,
                Http.chat("who am I", false), "X-Request-Note", "kept");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(RecordingUpstream.ANSWER);
        assertThat(recorder.seen).hasSize(1);
        RecordingUpstream.Seen seen = recorder.seen.get(0);
        assertThat(seen.path()).isEqualTo("/recorded/v1/chat/completions");
        assertThat(seen.headers().get("Authorization")).containsExactly("Bearer " + stack.modelKey);
        assertThat(seen.headers().get("X-request-note")).containsExactly("kept");
        String signature = token.substring(token.lastIndexOf('.') + 1);
        assertThat(seen.headers().toString()).doesNotContain(signature);
    }

    /** Every log event of the JVM while open: logback's root at DEBUG, and java.util.logging at FINE. */
    static final class LogCapture implements AutoCloseable {
        private static final List<String> NAMED = List.of(Logger.ROOT_LOGGER_NAME, "org.apache.camel", "io.netty",
                "io.grpc", "io.gatehouse");

        private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
        private final Map<Logger, Level> levels = new LinkedHashMap<>();
        private final List<String> julLines = new CopyOnWriteArrayList<>();
        private final java.util.logging.Logger julRoot = java.util.logging.Logger.getLogger("");
        private final java.util.logging.Level julLevel = julRoot.getLevel();
        private final Handler julHandler = new Handler() {
            private final SimpleFormatter formatter = new SimpleFormatter();

            @Override
            public void publish(LogRecord record) {
                julLines.add(formatter.format(record));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };

        static LogCapture everything() {
            return new LogCapture();
        }

        private LogCapture() {
            for (String name : NAMED) {
                Logger logger = (Logger) LoggerFactory.getLogger(name);
                levels.put(logger, logger.getLevel());
                logger.setLevel(Level.DEBUG);
            }
            appender.start();
            ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).addAppender(appender);
            julHandler.setLevel(java.util.logging.Level.ALL);
            julRoot.addHandler(julHandler);
            julRoot.setLevel(java.util.logging.Level.FINE);
        }

        /** Each event's formatted message with its stack trace, then the java.util.logging records. */
        List<String> lines() {
            List<ILoggingEvent> events;
            synchronized (appender) {
                events = new ArrayList<>(appender.list);
            }
            List<String> lines = new ArrayList<>();
            for (ILoggingEvent e : events) {
                String line = e.getLoggerName() + " " + e.getFormattedMessage();
                if (e.getThrowableProxy() != null) {
                    line += "\n" + ThrowableProxyUtil.asString(e.getThrowableProxy());
                }
                lines.add(line);
            }
            lines.addAll(julLines);
            return lines;
        }

        @Override
        public void close() {
            ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).detachAppender(appender);
            appender.stop();
            levels.forEach(Logger::setLevel);
            julRoot.removeHandler(julHandler);
            julRoot.setLevel(julLevel);
        }
    }
}
