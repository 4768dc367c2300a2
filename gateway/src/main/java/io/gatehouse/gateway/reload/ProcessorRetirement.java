package io.gatehouse.gateway.reload;

import io.gatehouse.gateway.pipeline.EndpointPipeline;
import io.gatehouse.spi.GatewayProcessor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes the processors a reload replaced once no exchange uses them: once every pipeline retired so far
 * has no exchange in flight (a pipeline's count is checked on two polls in a row, so an exchange that
 * read the old pipeline just before the swap has counted itself). The request path only increments and
 * decrements its pipeline's counter; the waiting is done here, by one daemon thread.
 */
public final class ProcessorRetirement implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessorRetirement.class);
    private static final long POLL_MILLIS = 250;

    private record Pending(List<GatewayProcessor> processors, List<EndpointPipeline> waitFor) {
    }

    private final List<Pending> pending = new ArrayList<>();
    private final List<EndpointPipeline> retired = new ArrayList<>();
    private final List<EndpointPipeline> idleOnce = new ArrayList<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gatehouse-retire");
        t.setDaemon(true);
        return t;
    });

    public ProcessorRetirement() {
        timer.scheduleWithFixedDelay(this::poll, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The pipelines a reload replaced, and the processors no current pipeline uses any more. */
    public synchronized void retire(List<EndpointPipeline> pipelines, List<GatewayProcessor> processors) {
        retired.addAll(pipelines);
        if (!processors.isEmpty()) {
            pending.add(new Pending(List.copyOf(processors), List.copyOf(retired)));
        }
    }

    /** Exchanges still in flight on replaced pipelines. */
    public synchronized long inFlight() {
        return retired.stream().mapToLong(EndpointPipeline::inFlightCount).sum();
    }

    synchronized void poll() {
        List<EndpointPipeline> drained = new ArrayList<>();
        for (EndpointPipeline p : retired) {
            if (p.inFlightCount() == 0) {
                if (idleOnce.contains(p)) {
                    drained.add(p);
                } else {
                    idleOnce.add(p);
                }
            } else {
                idleOnce.remove(p);
            }
        }
        retired.removeAll(drained);
        idleOnce.removeAll(drained);
        pending.removeIf(entry -> {
            if (entry.waitFor().stream().anyMatch(retired::contains)) {
                return false;
            }
            entry.processors().forEach(ProcessorRetirement::closeQuietly);
            return true;
        });
    }

    private static void closeQuietly(GatewayProcessor processor) {
        try {
            processor.close();
        } catch (RuntimeException e) {
            LOG.warn("processor {} failed to close", processor.getClass().getName(), e);
        }
    }

    /** Stops polling; processors still pending are closed by the runtime's close with the rest. */
    @Override
    public synchronized void close() {
        timer.shutdownNow();
        pending.forEach(p -> p.processors().forEach(ProcessorRetirement::closeQuietly));
        pending.clear();
    }
}
