package io.gatehouse.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.gatehouse.engine.InboundRequest;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.spi.Completion;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import io.gatehouse.spi.Outcome;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class AccessLogTest {

    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(AccessLog.LOGGER);

    @BeforeEach
    void capture() {
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void release() {
        logger.detachAppender(lines);
    }

    @Test
    void aDeniedExchangeIsOneLogfmtLineWithItsRuleAndNoHeaderOrBody() {
        Headers headers = new Headers();
        headers.add("Authorization", "Bearer secret-token");
        InboundRequest request = new InboundRequest("POST", "/v1/chat/completions", "", headers,
                new InetSocketAddress("127.0.0.1", 40000), "{\"prompt\":\"my card 4111\"}".getBytes());
        PipelineExchange exchange = PipelineExchange.builder("req-7", "openai", request,
                new Operation("openai", OperationKind.CHAT, "demo small", false, 1, java.util.OptionalInt.empty())).build();
        Outcome.Deny denial = Outcome.deny(403, "Forbidden", "no", new DecidingRule("analysts", "no-large", "no"));

        try (AccessLog log = new AccessLog()) {
            log.record(new PipelineExchange.CompletedExchange(exchange,
                    new Completion(Completion.Kind.DENIED, 403, denial, null, Duration.ofNanos(1_500_000))));
        }

        assertThat(lines.list).singleElement().extracting(ILoggingEvent::getFormattedMessage)
                .isEqualTo("request_id=req-7 endpoint=openai method=POST path=/v1/chat/completions status=403"
                        + " outcome=denied duration_ms=1.500 client=127.0.0.1 model=\"demo small\" rule=analysts/no-large");
    }

    @Test
    void durationsAreWrittenAsMillisecondsWithThreeDecimals() {
        assertThat(millis(0)).isEqualTo("0.000");
        assertThat(millis(7_000)).isEqualTo("0.007");
        assertThat(millis(42_999)).isEqualTo("0.042");
        assertThat(millis(1_500_000)).isEqualTo("1.500");
        assertThat(millis(28_212_790_123L)).isEqualTo("28212.790");
    }

    private static String millis(long nanos) {
        StringBuilder line = new StringBuilder();
        AccessLog.millisWithThreeDecimals(line, nanos);
        return line.toString();
    }
}
