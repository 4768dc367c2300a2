package io.gatehouse.gateway.admin;

import io.gatehouse.engine.BackgroundWriter;
import io.gatehouse.engine.PipelineExchange;
import io.gatehouse.spi.Completion;
import io.gatehouse.spi.GatewayRequest;
import java.net.InetSocketAddress;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per finished exchange on the logger {@value #LOGGER}, in logfmt ({@code key=value},
 * values with spaces or quotes quoted), e.g.
 * <pre>
 * request_id=… endpoint=openai method=POST path=/v1/chat/completions status=200 outcome=answered duration_ms=3.1 user=alice client=127.0.0.1 model=demo-small
 * </pre>
 * The line is built on the exchange's event loop and written by one background thread every
 * {@value #FLUSH_MILLIS} ms ({@link BackgroundWriter}); when {@value #CAPACITY} lines wait, more are
 * dropped and counted rather than making a request wait, so the request path never waits on a disk or
 * a terminal. Turn it off with {@code GATEHOUSE_ACCESS_LOG=OFF}. Never holds a credential: no headers,
 * no body.
 */
public final class AccessLog implements AutoCloseable {

    public static final String LOGGER = "gatehouse.access";
    static final int CAPACITY = 16_384;
    static final long FLUSH_MILLIS = 20;
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);
    private static final Logger WARNINGS = LoggerFactory.getLogger(AccessLog.class);

    private final BackgroundWriter<String> writer;

    /** Starts the writer thread, unless the access logger is off. */
    public AccessLog() {
        writer = !LOG.isInfoEnabled() ? null : new BackgroundWriter<>("gatehouse-access-log", CAPACITY,
                FLUSH_MILLIS, LOG::info, lost -> WARNINGS.warn(
                        "access log: {} lines dropped (more than {} exchanges waiting to be logged)", lost, CAPACITY));
    }

    /** Writes what is queued, then stops the writer. */
    @Override
    public void close() {
        if (writer != null) {
            writer.close();
        }
    }

    /** Queues the line of one finished exchange; never blocks. */
    public void record(PipelineExchange.CompletedExchange done) {
        if (writer == null) {
            return;
        }
        PipelineExchange x = done.exchange();
        Completion c = done.completion();
        GatewayRequest request = x.request();
        StringBuilder line = new StringBuilder(200);
        field(line, "request_id", x.requestId());
        field(line, "endpoint", x.endpointId());
        field(line, "method", request.method());
        field(line, "path", request.path());
        line.append(" status=").append(c.status());
        field(line, "outcome", c.kind().name().toLowerCase(Locale.ROOT).replace('_', '-'));
        line.append(" duration_ms=");
        millisWithThreeDecimals(line, c.duration().toNanos());
        x.identity().ifPresent(id -> field(line, "user", id.username() != null ? id.username() : id.subject()));
        InetSocketAddress client = request.clientAddress();
        if (client != null && client.getAddress() != null) {
            field(line, "client", client.getAddress().getHostAddress());
        }
        if (x.operation().model() != null) {
            field(line, "model", x.operation().model());
        }
        if (c.denial() != null) {
            field(line, "rule", c.denial().rule().policy() + "/" + c.denial().rule().rule());
        }
        writer.submit(line.substring(1));
    }

    /** As {@code %.3f} of the milliseconds (truncated, not rounded), without a Formatter per request. */
    static void millisWithThreeDecimals(StringBuilder line, long nanos) {
        long micros = Math.max(0, nanos) / 1_000;
        long fraction = micros % 1_000;
        line.append(micros / 1_000).append('.');
        if (fraction < 100) {
            line.append(fraction < 10 ? "00" : "0");
        }
        line.append(fraction);
    }

    private static void field(StringBuilder line, String key, String value) {
        line.append(' ').append(key).append('=');
        if (value == null || value.isEmpty()) {
            line.append("\"\"");
            return;
        }
        boolean quote = false;
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            if (ch <= ' ' || ch == '"' || ch == '=' || ch == '\\' || ch == 0x7f) {
                quote = true;
                break;
            }
        }
        if (!quote) {
            line.append(value);
            return;
        }
        line.append('"');
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            if (ch == '"' || ch == '\\') {
                line.append('\\').append(ch);
            } else if (ch < ' ' || ch == 0x7f) {
                line.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
            } else {
                line.append(ch);
            }
        }
        line.append('"');
    }
}
