package io.gatehouse.gateway.console;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The approvals page's live feed: server-sent events on the admin listener telling an open page that an
 * approval changed ({@code event: approval}, {@code data:} its id) so the page fetches the queue again
 * through the admin API with the user's own token. The feed carries ids only, never an approval's content:
 * what someone sees is still decided by the admin API, call by call.
 *
 * <p>Each stream is bounded: ids wait in a set of at most {@value #MAX_PENDING} while the browser is slow,
 * beyond which they collapse into one {@code event: resync}. A comment line every {@code heartbeat} keeps
 * proxies and the listener's idle timeout from closing a quiet stream, and ends the stream once its console
 * session has ended (signed out, expired); at most {@code maxStreams} are open per replica.
 */
final class ApprovalFeed implements AutoCloseable {

    static final int MAX_PENDING = 64;
    static final Duration HEARTBEAT = Duration.ofSeconds(15);

    private final Set<Stream> streams = ConcurrentHashMap.newKeySet();
    private final int maxStreams;
    private final Runnable unwatch;
    private final ScheduledExecutorService timer;
    private final Clock clock;

    /**
     * @param watch      subscribes a consumer of changed approval ids; returns what stops it
     * @param maxStreams most streams open at once (0: none, pages poll)
     */
    ApprovalFeed(Function<Consumer<String>, Runnable> watch, int maxStreams, Duration heartbeat, Clock clock) {
        this.maxStreams = maxStreams;
        this.clock = clock;
        this.unwatch = watch.apply(this::changed);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gatehouse-console-feed");
            t.setDaemon(true);
            return t;
        });
        long every = heartbeat.toMillis();
        timer.scheduleWithFixedDelay(this::heartbeat, every, every, TimeUnit.MILLISECONDS);
    }

    /** A new stream for a page whose session is alive while {@code alive} says so; null when the cap is reached. */
    synchronized Stream open(BooleanSupplier alive) {
        if (streams.size() >= maxStreams) {
            return null;
        }
        Stream s = new Stream(alive);
        streams.add(s);
        return s;
    }

    int open() {
        return streams.size();
    }

    void changed(String id) {
        streams.forEach(s -> s.offer(id));
    }

    void heartbeat() {
        Instant now = clock.instant();
        for (Stream s : streams) {
            if (!s.alive.getAsBoolean()) {
                s.end();
            } else {
                s.comment("keep-alive " + now);
            }
        }
    }

    @Override
    public void close() {
        unwatch.run();
        timer.shutdownNow();
        streams.forEach(Stream::end);
    }

    /** One page's stream: a publisher of the bytes of its events, with the browser's demand (one subscriber). */
    final class Stream implements Flow.Publisher<byte[]>, Flow.Subscription {
        private final BooleanSupplier alive;
        private final LinkedHashSet<String> pending = new LinkedHashSet<>();
        private final java.util.ArrayDeque<byte[]> ready = new java.util.ArrayDeque<>();
        private boolean resync;
        private boolean ended;
        private boolean completed;
        private long demand;
        private boolean draining;
        private boolean again;
        private Flow.Subscriber<? super byte[]> subscriber;

        private Stream(BooleanSupplier alive) {
            this.alive = alive;
            // tells the page the feed is open (and how long to wait before reconnecting if it drops)
            ready.add("retry: 5000\nevent: ready\ndata: {}\n\n".getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public void subscribe(Flow.Subscriber<? super byte[]> s) {
            synchronized (this) {
                if (subscriber != null) {
                    throw new IllegalStateException("one subscriber per stream");
                }
                subscriber = s;
            }
            s.onSubscribe(this);
            drain();
        }

        void offer(String id) {
            synchronized (this) {
                if (ended) {
                    return;
                }
                if (pending.size() >= MAX_PENDING) {
                    resync = true;
                    pending.clear();
                } else if (!resync) {
                    pending.add(id);
                }
            }
            drain();
        }

        void comment(String text) {
            synchronized (this) {
                if (ended || !ready.isEmpty() || !pending.isEmpty() || resync) {
                    return; // something is about to go out anyway
                }
                ready.add((": " + text.replaceAll("[\r\n]", " ") + "\n\n").getBytes(StandardCharsets.UTF_8));
            }
            drain();
        }

        /** Ends the stream cleanly (the page reconnects, or finds its session gone). */
        void end() {
            synchronized (this) {
                ended = true;
            }
            streams.remove(this);
            drain();
        }

        @Override
        public void request(long n) {
            synchronized (this) {
                demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
            }
            drain();
        }

        /** The browser left (or Netty is done with the stream). */
        @Override
        public void cancel() {
            synchronized (this) {
                ended = true;
                completed = true;
                pending.clear();
                ready.clear();
            }
            streams.remove(this);
        }

        /** Hands out what the demand allows; one thread at a time (signals to the subscriber stay serial). */
        private void drain() {
            synchronized (this) {
                if (draining) {
                    again = true;
                    return;
                }
                draining = true;
            }
            while (true) {
                Flow.Subscriber<? super byte[]> s;
                byte[] next = null;
                boolean complete = false;
                synchronized (this) {
                    s = subscriber;
                    if (s != null && !completed) {
                        if (ready.isEmpty()) {
                            if (resync) {
                                resync = false;
                                ready.add("event: resync\ndata: {}\n\n".getBytes(StandardCharsets.UTF_8));
                            } else if (!pending.isEmpty()) {
                                String id = pending.iterator().next();
                                pending.remove(id);
                                ready.add(("event: approval\ndata: " + id.replaceAll("[\r\n]", "") + "\n\n")
                                        .getBytes(StandardCharsets.UTF_8));
                            }
                        }
                        if (!ready.isEmpty() && demand > 0) {
                            next = ready.poll();
                            demand--;
                        } else if (ready.isEmpty() && ended) {
                            completed = true;
                            complete = true;
                        }
                    }
                    if (next == null && !complete) {
                        if (again) {
                            again = false;
                            continue;
                        }
                        draining = false;
                        return;
                    }
                }
                if (complete) {
                    s.onComplete();
                } else {
                    s.onNext(next);
                }
            }
        }
    }
}
