package io.gatehouse.agent;

import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.engine.BackgroundWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;

/**
 * Writes the access log off the event loops: a call's end only queues a small record (never blocking;
 * when the queue is full the line is dropped and counted), and one daemon thread formats and logs the
 * queued records every {@value #FLUSH_MILLIS} ms. One line per call:
 *
 * <pre>forward request_id=R service=S method=M path=/p status=200 outcome=completed duration_ms=12</pre>
 *
 * <p>{@code status} is {@code -} when no response head arrived; {@code outcome} is {@code completed},
 * {@code cancelled}, {@code deadline}, {@code invalid} or {@code failure CODE} (gRPC services add
 * {@code grpc_status=CODE}). The path loses its query; control characters become {@code ?}.
 */
final class AccessLog implements AutoCloseable {

    /** The logger operators and tests know the agent's lines by. */
    static final Logger LOG = LoggerFactory.getLogger(AgentServer.class);
    static final Marker ACCESS = MarkerFactory.getMarker("ACCESS");
    static final int CAPACITY = 16_384;
    static final long FLUSH_MILLIS = 20;

    private record Entry(String requestId, String service, String method, String path, int status, String outcome,
                         long durationMillis) {
    }

    private final BackgroundWriter<Entry> writer;

    AccessLog(AccessLogConfig config) {
        writer = !config.enabled() ? null : new BackgroundWriter<>("gatehouse-agent-access-log", CAPACITY,
                FLUSH_MILLIS, AccessLog::write, lost -> LOG.warn(
                        "access log: {} lines dropped (more than {} calls waiting to be logged)", lost, CAPACITY));
    }

    /** Queues the line of one call that ended; never blocks. */
    void record(ForwardRequest request, int status, String outcome, long startNanos) {
        if (writer == null) {
            return;
        }
        writer.submit(new Entry(request.getRequestId(), request.getService(), request.getMethod(), request.getPath(),
                status, outcome, (System.nanoTime() - startNanos) / 1_000_000));
    }

    private static void write(Entry e) {
        String path = e.path();
        int q = path.indexOf('?');
        if (q >= 0) {
            path = path.substring(0, q);
        }
        LOG.info(ACCESS, "forward request_id={} service={} method={} path={} status={} outcome={} duration_ms={}",
                Upstream.printable(e.requestId()), Upstream.printable(e.service()), Upstream.printable(e.method()),
                Upstream.printable(path), e.status() < 0 ? "-" : e.status(), e.outcome(), e.durationMillis());
    }

    /** Writes what is queued, then stops the writer. */
    @Override
    public void close() {
        if (writer != null) {
            writer.close();
        }
    }
}
