package io.gatehouse.gateway.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * A console appender that writes what gathered in {@link #setFlushMillis flushMillis} with one
 * {@code write} instead of one per line. Meant for the access logs: logback's {@code ConsoleAppender}
 * goes through {@code System.err}, which flushes after every line, so each request cost a system call
 * in the gateway and another in the agent (4 % and 9 % of their CPU in the {@code limits+auth} profile,
 * bench/README.md run 10).
 *
 * <p>What it promises: a line is on the console at most {@code flushMillis} after it was logged (a
 * daemon thread flushes once per batch, woken by the batch's first line, so an idle process never
 * wakes); a {@code WARN} or {@code ERROR} line is written at once, with everything before it; and
 * what is buffered is written when the appender stops or the JVM exits normally. A {@code kill -9}
 * can lose at most the last {@code flushMillis} of lines below {@code WARN}.
 *
 * <p>Like {@code ConsoleAppender} it looks {@code System.err} (or {@code System.out}) up at each write,
 * so a stream swapped in later (a test, a CLI capturing output) is honoured.
 *
 * <pre>{@code
 * <appender name="ACCESS" class="io.gatehouse.gateway.logging.BatchingConsoleAppender">
 *   <target>System.err</target>     <!-- or System.out -->
 *   <flushMillis>20</flushMillis>   <!-- 1 to 1000 -->
 *   <bufferSize>65536</bufferSize>  <!-- bytes; a fuller buffer is written at once -->
 *   <encoder><pattern>%d %logger %msg%n</pattern></encoder>
 * </appender>
 * }</pre>
 */
public class BatchingConsoleAppender extends OutputStreamAppender<ILoggingEvent> {

    static final long DEFAULT_FLUSH_MILLIS = 20;
    static final int DEFAULT_BUFFER_SIZE = 64 * 1024;

    private long flushMillis = DEFAULT_FLUSH_MILLIS;
    private int bufferSize = DEFAULT_BUFFER_SIZE;
    private boolean toStdout;
    private final AtomicBoolean dirty = new AtomicBoolean();
    private volatile Thread flusher;
    private volatile boolean running;
    private Thread exitHook;

    /** {@code System.err} (the default) or {@code System.out}. */
    public void setTarget(String target) {
        if ("System.out".equals(target)) {
            toStdout = true;
        } else if ("System.err".equals(target)) {
            toStdout = false;
        } else {
            addError("target must be System.err or System.out, not " + target + "; using System.err");
            toStdout = false;
        }
    }

    /** The longest a line waits before it is written, in milliseconds (1 to 1000, default 20). */
    public void setFlushMillis(long flushMillis) {
        if (flushMillis < 1 || flushMillis > 1000) {
            addError("flushMillis must be 1 to 1000, not " + flushMillis + "; using " + DEFAULT_FLUSH_MILLIS);
            flushMillis = DEFAULT_FLUSH_MILLIS;
        }
        this.flushMillis = flushMillis;
    }

    /** Bytes gathered before a write is made regardless of the time (1 KiB to 1 MiB, default 64 KiB). */
    public void setBufferSize(int bufferSize) {
        if (bufferSize < 1024 || bufferSize > 1024 * 1024) {
            addError("bufferSize must be 1024 to 1048576 bytes, not " + bufferSize + "; using "
                    + DEFAULT_BUFFER_SIZE);
            bufferSize = DEFAULT_BUFFER_SIZE;
        }
        this.bufferSize = bufferSize;
    }

    @Override
    public void start() {
        setOutputStream(new BufferedOutputStream(new CurrentConsole(toStdout), bufferSize));
        setImmediateFlush(false);
        super.start();
        if (!isStarted()) {
            return;
        }
        running = true;
        Thread t = new Thread(this::flushBatches, "gatehouse-log-flush-" + getName());
        t.setDaemon(true);
        flusher = t;
        t.start();
        exitHook = new Thread(this::flush, "gatehouse-log-flush-at-exit-" + getName());
        Runtime.getRuntime().addShutdownHook(exitHook);
    }

    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        running = false;
        Thread t = flusher;
        if (t != null) {
            LockSupport.unpark(t);
        }
        flush();
        try {
            Runtime.getRuntime().removeShutdownHook(exitHook);
        } catch (IllegalStateException exiting) {
            // The JVM is already exiting; the hook flushes once more, which is harmless.
        }
        super.stop();
    }

    @Override
    protected void subAppend(ILoggingEvent event) {
        super.subAppend(event); // encodes and buffers the line under the stream lock, no flush
        if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
            flush();
        } else if (dirty.compareAndSet(false, true)) {
            LockSupport.unpark(flusher); // the batch's first line; the rest of the batch wakes nobody
        }
    }

    /** Writes what is buffered now. */
    void flush() {
        streamWriteLock.lock();
        try {
            dirty.set(false); // before the write: a line buffered after it sets it again
            OutputStream out = getOutputStream();
            if (out != null) {
                out.flush();
            }
        } catch (IOException e) {
            addError("could not write the log to the console", e);
        } finally {
            streamWriteLock.unlock();
        }
    }

    private void flushBatches() {
        while (running) {
            if (!dirty.get()) {
                LockSupport.park(this);
                continue;
            }
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(flushMillis)); // let the batch gather
            flush();
        }
    }

    /** {@code System.err} or {@code System.out} as they are at each write, not as they were at start. */
    private static final class CurrentConsole extends OutputStream {
        private final boolean stdout;

        CurrentConsole(boolean stdout) {
            this.stdout = stdout;
        }

        private PrintStream stream() {
            return stdout ? System.out : System.err;
        }

        @Override
        public void write(int b) {
            stream().write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            stream().write(b, off, len);
        }

        @Override
        public void flush() {
            stream().flush();
        }
    }
}
