package io.gatehouse.agent;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.SlidingWindowType;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The circuit breaker of one service (HTTP or gRPC), over Resilience4j's {@link CircuitBreaker} (lock-free state,
 * a short synchronized window update per call: safe on an event loop, it never waits). A call asks
 * {@link #tryAcquire()} before it goes to the service and then reports exactly once: {@link #succeeded},
 * {@link #failed} or {@link #released} (not the service's doing). A permission that is never reported
 * would hold a half-open circuit forever, so every end of a call reports.
 */
final class ServiceBreaker {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceBreaker.class);

    /** What Resilience4j is told failed; the reason is in the agent's access log, not here. */
    private static final Exception SERVICE_FAILED = new Exception("the service failed the call", null, false, false) {
    };

    private final String service;
    private final CircuitBreaker breaker;
    private final Duration openDuration;
    private volatile long openedAtNanos;
    /** The last state logged ({@link #noteState}). */
    private final java.util.concurrent.atomic.AtomicReference<CircuitBreaker.State> seen =
            new java.util.concurrent.atomic.AtomicReference<>(CircuitBreaker.State.CLOSED);

    private ServiceBreaker(String service, CircuitBreakerConfig config) {
        this.service = service;
        this.openDuration = config.openDuration();
        this.breaker = CircuitBreaker.of("agent-service-" + service,
                io.github.resilience4j.circuitbreaker.CircuitBreakerConfig.custom()
                        .slidingWindow(config.slidingWindowSize(), config.minimumCalls(), SlidingWindowType.COUNT_BASED)
                        .failureRateThreshold(config.failureRateThreshold())
                        .waitDurationInOpenState(config.openDuration())
                        .permittedNumberOfCallsInHalfOpenState(config.halfOpenCalls())
                        // Trial calls are let through by the next caller once the period is over; no timer thread.
                        .automaticTransitionFromOpenToHalfOpenEnabled(false)
                        .writableStackTraceEnabled(false)
                        .build());
    }

    /**
     * Logs a change of state, once, by whichever call saw it. Resilience4j could tell us through its event
     * publisher, but a publisher with any consumer builds an event (and reads the zoned clock) for every
     * successful call too: 1.8 % of the agent's CPU under load. A state change happens only inside
     * {@link #tryAcquire}, {@link #succeeded} and {@link #failed}, so each looks once afterwards.
     */
    private void noteState() {
        CircuitBreaker.State now = breaker.getState();
        CircuitBreaker.State before = seen.get();
        if (now == before || !seen.compareAndSet(before, now)) {
            return;
        }
        if (now == CircuitBreaker.State.OPEN) {
            openedAtNanos = System.nanoTime();
            CircuitBreaker.Metrics m = breaker.getMetrics();
            LOG.warn("service '{}': circuit open, calls refused for {} ms ({} of the last {} calls failed)",
                    service, openDuration.toMillis(), m.getNumberOfFailedCalls(), m.getNumberOfBufferedCalls());
        } else {
            LOG.info("service '{}': circuit {}", service, now.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        }
    }

    /** The breaker of {@code service}, or null when {@code config} turns it off. */
    static ServiceBreaker of(String service, CircuitBreakerConfig config) {
        return config == null || !config.enabled() ? null : new ServiceBreaker(service, config);
    }

    /** True when a call may go to the service; false while the circuit is open (or its trial calls are out). */
    boolean tryAcquire() {
        boolean permitted = breaker.tryAcquirePermission();
        noteState();
        return permitted;
    }

    void succeeded(long startNanos) {
        breaker.onSuccess(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        noteState();
    }

    void failed(long startNanos) {
        breaker.onError(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS, SERVICE_FAILED);
        noteState();
    }

    /** The call ended for a reason that says nothing about the service (cancelled, invalid, caller's deadline). */
    void released() {
        breaker.releasePermission();
    }

    /** What the end of a call says about the service. */
    enum Verdict { SUCCEEDED, FAILED, NEUTRAL }

    /** Reports a permitted call's end, whatever it was. */
    void report(Verdict verdict, long startNanos) {
        switch (verdict) {
            case SUCCEEDED -> succeeded(startNanos);
            case FAILED -> failed(startNanos);
            case NEUTRAL -> released();
        }
    }

    /** Milliseconds until trial calls are let through (at least 1 s, for a Retry-After). */
    long retryAfterMillis() {
        long left = openDuration.toMillis() - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - openedAtNanos);
        return Math.max(1000, left);
    }

    /** Why a call was refused, for the caller: names the service and when to retry, never a secret. */
    String refusal() {
        CircuitBreaker.Metrics m = breaker.getMetrics();
        String why = breaker.getState() == CircuitBreaker.State.HALF_OPEN
                ? "its trial calls after a failure period are still running"
                : m.getNumberOfFailedCalls() + " of its last " + m.getNumberOfBufferedCalls() + " calls failed";
        return "service '" + service + "' is failing, so the agent stopped calling it for now (circuit open: " + why
                + "); retry in " + Math.max(1, retryAfterMillis() / 1000) + " s";
    }

    /** closed, open, half-open (for tests and health). */
    String state() {
        return breaker.getState().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
