package io.gatehouse.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class BackgroundWriterTest {

    @Test
    void everySubmittedItemIsWrittenInOrderByCloseAtTheLatest() {
        List<String> written = new CopyOnWriteArrayList<>();
        try (BackgroundWriter<String> writer = new BackgroundWriter<>("test-writer", 100, 10_000, written::add, n -> {
        })) {
            for (int i = 0; i < 50; i++) {
                assertThat(writer.submit("line " + i)).isTrue();
            }
        }
        assertThat(written).hasSize(50).startsWith("line 0", "line 1").endsWith("line 49");
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlocking() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch writing = new CountDownLatch(1);
        AtomicLong reported = new AtomicLong();
        List<Integer> written = new CopyOnWriteArrayList<>();
        try (BackgroundWriter<Integer> writer = new BackgroundWriter<>("test-writer", 2, 1, item -> {
            writing.countDown();
            awaitQuietly(release);
            written.add(item);
        }, reported::addAndGet)) {
            writer.submit(0);
            assertThat(writing.await(10, TimeUnit.SECONDS)).isTrue(); // the writer holds item 0
            assertThat(writer.submit(1)).isTrue();
            assertThat(writer.submit(2)).isTrue();
            assertThat(writer.submit(3)).as("a third waiting item does not fit in 2").isFalse();
            release.countDown();
        }
        assertThat(written).containsExactly(0, 1, 2);
        assertThat(reported.get()).isEqualTo(1);
    }

    @Test
    void aWriteThatThrowsDoesNotStopTheItemsAfterIt() {
        List<String> written = new CopyOnWriteArrayList<>();
        try (BackgroundWriter<String> writer = new BackgroundWriter<>("test-writer", 10, 10_000, item -> {
            if (item.equals("bad")) {
                throw new IllegalStateException("cannot write");
            }
            written.add(item);
        }, n -> {
        })) {
            writer.submit("a");
            writer.submit("bad");
            writer.submit("b");
        }
        assertThat(written).containsExactly("a", "b");
    }

    @Test
    void anIdleWriterSleepsUntilAnItemComesAndThenWritesItWithoutAClose() throws InterruptedException {
        CountDownLatch wrote = new CountDownLatch(1);
        try (BackgroundWriter<String> writer = new BackgroundWriter<>("test-writer", 10, 1, item -> wrote.countDown(),
                n -> {
                })) {
            Thread.sleep(300); // 300 flush periods of 1 ms: a writer that woke every period would count about 300
            assertThat(writer.wakeUps()).as("wake-ups while nothing was queued").isLessThanOrEqualTo(1);
            writer.submit("a lone line");
            assertThat(wrote.await(10, TimeUnit.SECONDS)).as("the lone line is written before any close").isTrue();
        }
    }

    @Test
    void itemsSubmittedFromManyThreadsWhileTheWriterFallsAsleepAreAllWritten() throws InterruptedException {
        List<Integer> written = new CopyOnWriteArrayList<>();
        try (BackgroundWriter<Integer> writer = new BackgroundWriter<>("test-writer", 10_000, 1, written::add, n -> {
        })) {
            Thread[] submitters = new Thread[4];
            for (int t = 0; t < submitters.length; t++) {
                int base = t * 1_000;
                submitters[t] = new Thread(() -> {
                    for (int i = 0; i < 1_000; i++) {
                        writer.submit(base + i);
                        if (i % 50 == 0) {
                            LockSupport.parkNanos(2_000_000); // let the writer run dry and go idle now and then
                        }
                    }
                });
                submitters[t].start();
            }
            for (Thread submitter : submitters) {
                submitter.join();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (written.size() < 4_000 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(written).as("written before close: none waits for a later item or for close").hasSize(4_000);
        }
    }

    @Test
    void aWriterWithoutRoomOrPauseIsRefused() {
        assertThatThrownBy(() -> new BackgroundWriter<String>("w", 0, 10, s -> { }, n -> { }))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
