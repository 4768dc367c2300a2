package io.gatehouse.gateway.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.status.Status;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BatchingConsoleAppenderTest {

    private final PrintStream realErr = System.err;
    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private final AtomicInteger writes = new AtomicInteger();
    private final LoggerContext context = new LoggerContext();
    private BatchingConsoleAppender appender;

    @BeforeEach
    void captureStderr() {
        context.setMDCAdapter(new LogbackMDCAdapter());
        OutputStream countingConsole = new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                writes.incrementAndGet();
                console.write(b, off, len);
            }
        };
        // As the JVM's own System.err: a print stream that flushes after every write.
        System.setErr(new PrintStream(countingConsole, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStderr() {
        if (appender != null) {
            appender.stop();
        }
        System.setErr(realErr);
    }

    private BatchingConsoleAppender started(long flushMillis) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%msg%n");
        encoder.start();
        appender = new BatchingConsoleAppender();
        appender.setContext(context);
        appender.setName("test");
        appender.setFlushMillis(flushMillis);
        appender.setEncoder(encoder);
        appender.start();
        Logger logger = context.getLogger("gatehouse.access");
        logger.setAdditive(false);
        logger.addAppender(appender);
        return appender;
    }

    private void log(Level level, String message) {
        Logger logger = context.getLogger("gatehouse.access");
        if (level == Level.WARN) {
            logger.warn(message);
        } else {
            logger.info(message);
        }
    }

    private String written() {
        synchronized (console) {
            return console.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void aHundredAccessLinesReachTheConsoleInAFewWritesNotAHundred() {
        started(1000);
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            log(Level.INFO, "request_id=r" + i + " status=200");
            expected.append("request_id=r").append(i).append(" status=200\n");
        }
        appender.flush();

        assertThat(written()).isEqualTo(expected.toString());
        // logback's ConsoleAppender makes 100 here (System.err flushes every line). One batch is one
        // write; the flusher may have fired once in between on a slow machine.
        assertThat(writes.get()).isBetween(1, 3);
    }

    @Test
    void aWarningIsWrittenAtOnceTogetherWithTheLinesBeforeIt() {
        started(1000);
        log(Level.INFO, "request_id=r1 status=200");
        log(Level.WARN, "access log: 3 lines dropped");

        assertThat(written()).isEqualTo("request_id=r1 status=200\naccess log: 3 lines dropped\n");
    }

    @Test
    void aLoneLineReachesTheConsoleWithoutAnotherLineOrAStop() throws InterruptedException {
        started(5);
        log(Level.INFO, "request_id=lonely status=200");

        for (int i = 0; i < 500 && written().isEmpty(); i++) {
            Thread.sleep(10);
        }
        assertThat(written()).isEqualTo("request_id=lonely status=200\n");
    }

    @Test
    void stoppingWritesWhatIsStillBuffered() {
        started(1000);
        log(Level.INFO, "request_id=last status=200");
        appender.stop();

        assertThat(written()).isEqualTo("request_id=last status=200\n");
    }

    @Test
    void settingsOutOfRangeAreReportedAndTheDefaultsUsed() {
        BatchingConsoleAppender bad = new BatchingConsoleAppender();
        bad.setContext(context);
        bad.setFlushMillis(0);
        bad.setBufferSize(10);
        bad.setTarget("System.in");

        assertThat(context.getStatusManager().getCopyOfStatusList())
                .filteredOn(s -> s.getLevel() == Status.ERROR)
                .extracting(Status::getMessage)
                .containsExactly(
                        "flushMillis must be 1 to 1000, not 0; using 20",
                        "bufferSize must be 1024 to 1048576 bytes, not 10; using 65536",
                        "target must be System.err or System.out, not System.in; using System.err");
    }
}
