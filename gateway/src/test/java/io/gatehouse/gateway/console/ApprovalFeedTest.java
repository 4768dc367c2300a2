package io.gatehouse.gateway.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ApprovalFeedTest {

    private final AtomicReference<Consumer<String>> watcher = new AtomicReference<>();
    private final AtomicBoolean unwatched = new AtomicBoolean();
    /** Heartbeats only when the test calls them. */
    private final ApprovalFeed feed = new ApprovalFeed(w -> {
        watcher.set(w);
        return () -> unwatched.set(true);
    }, 2, Duration.ofHours(1), Clock.systemUTC());

    @AfterEach
    void close() {
        feed.close();
    }

    /** A subscriber that asks for one event at a time, as Netty does. */
    static final class Browser implements Flow.Subscriber<byte[]> {
        final List<String> events = new CopyOnWriteArrayList<>();
        volatile boolean completed;
        Flow.Subscription subscription;

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
        }

        @Override
        public void onNext(byte[] item) {
            events.add(new String(item, StandardCharsets.UTF_8));
        }

        @Override
        public void onError(Throwable throwable) {
            events.add("error " + throwable);
        }

        @Override
        public void onComplete() {
            completed = true;
        }

        void take(int n) {
            subscription.request(n);
        }
    }

    private Browser subscribe(ApprovalFeed.Stream stream) {
        Browser b = new Browser();
        stream.subscribe(b);
        return b;
    }

    @Test
    void aPageHearsThatTheFeedIsReadyThenTheIdsOfApprovalsThatChangeAsItAsksForThem() {
        Browser page = subscribe(feed.open(() -> true));
        watcher.get().accept("apr-1");
        watcher.get().accept("apr-2");
        watcher.get().accept("apr-1"); // still waiting: told once

        assertThat(page.events).isEmpty();
        page.take(2);
        assertThat(page.events).containsExactly("retry: 5000\nevent: ready\ndata: {}\n\n",
                "event: approval\ndata: apr-1\n\n");
        page.take(5);
        assertThat(page.events).hasSize(3).last().isEqualTo("event: approval\ndata: apr-2\n\n");
        watcher.get().accept("apr-3");
        assertThat(page.events).hasSize(4).last().isEqualTo("event: approval\ndata: apr-3\n\n");
    }

    @Test
    void aPageThatDoesNotReadGetsOneResyncInsteadOfAGrowingBacklog() {
        Browser page = subscribe(feed.open(() -> true));
        page.take(1);
        for (int i = 0; i < ApprovalFeed.MAX_PENDING + 10; i++) {
            watcher.get().accept("apr-" + i);
        }

        page.take(100);

        // the first id was ready to go before the backlog grew; the rest collapsed into one resync
        assertThat(page.events).containsExactly("retry: 5000\nevent: ready\ndata: {}\n\n",
                "event: approval\ndata: apr-0\n\n", "event: resync\ndata: {}\n\n");
        watcher.get().accept("apr-after");
        assertThat(page.events).last().isEqualTo("event: approval\ndata: apr-after\n\n");
    }

    @Test
    void aQuietStreamGetsAKeepAliveCommentAndEndsOnceItsSessionHasEnded() {
        AtomicBoolean signedIn = new AtomicBoolean(true);
        Browser page = subscribe(feed.open(signedIn::get));
        page.take(10);

        feed.heartbeat();
        signedIn.set(false);
        feed.heartbeat();

        assertThat(page.events).hasSize(2);
        assertThat(page.events.get(1)).startsWith(": keep-alive ").endsWith("\n\n");
        assertThat(page.completed).isTrue();
        assertThat(feed.open()).isZero();
    }

    @Test
    void atMostMaxStreamsAreOpenAndAPageThatLeftFreesItsPlace() {
        ApprovalFeed.Stream first = feed.open(() -> true);
        ApprovalFeed.Stream second = feed.open(() -> true);

        assertThat(feed.open(() -> true)).isNull();
        subscribe(first).subscription.cancel();
        assertThat(feed.open(() -> true)).isNotNull();
        assertThat(second).isNotNull();
    }

    @Test
    void closingTheFeedStopsWatchingApprovalsAndEndsEveryStream() {
        Browser page = subscribe(feed.open(() -> true));
        page.take(10);

        feed.close();

        assertThat(unwatched).isTrue();
        assertThat(page.completed).isTrue();
    }
}
