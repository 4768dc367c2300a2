package io.gatehouse.agent;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's one thread for credentials that change: it watches the directories of {@code file:} secrets (any
 * change in the directory re-reads its secrets: a Kubernetes secret volume replaces a symlink, not the file) and
 * runs credential commands on their schedule. Never on an event loop: a call only reads the value already read.
 */
final class SecretFiles implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SecretFiles.class);
    /** Re-read everything this often too, for file systems that send no change events. */
    private static final Duration RECHECK = Duration.ofSeconds(30);

    private final Map<Path, List<Runnable>> byDirectory = new ConcurrentHashMap<>();
    private final List<Scheduled> scheduled = new CopyOnWriteArrayList<>();
    private WatchService watcher;
    private Thread thread;
    private volatile boolean closed;

    private record Scheduled(Duration every, Runnable task, long[] next) {
    }

    /** Calls {@code reread} whenever something in the directory of {@code file} changes. */
    synchronized void watch(Path file, Runnable reread) throws IOException {
        Path directory = file.getParent();
        if (watcher == null) {
            watcher = FileSystems.getDefault().newWatchService();
        }
        if (!byDirectory.containsKey(directory)) {
            directory.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        }
        byDirectory.computeIfAbsent(directory, d -> new CopyOnWriteArrayList<>()).add(reread);
        startThread();
    }

    /** Runs {@code task} every {@code every} on this thread. */
    synchronized void every(Duration every, Runnable task) throws IOException {
        scheduled.add(new Scheduled(every, task, new long[] {System.nanoTime() + every.toNanos()}));
        if (watcher == null) {
            watcher = FileSystems.getDefault().newWatchService();
        }
        startThread();
    }

    private void startThread() {
        if (thread != null) {
            return;
        }
        thread = new Thread(this::run, "gatehouse-agent-secrets");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        long nextRecheck = System.nanoTime() + RECHECK.toNanos();
        while (!closed) {
            try {
                WatchKey key = watcher.poll(250, TimeUnit.MILLISECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                    // Let a burst of events (a symlink swap is several) settle, then read once.
                    Thread.sleep(50);
                    WatchKey more;
                    while ((more = watcher.poll()) != null) {
                        more.pollEvents();
                        more.reset();
                    }
                    rereadAll();
                }
                long now = System.nanoTime();
                if (now - nextRecheck >= 0) {
                    nextRecheck = now + RECHECK.toNanos();
                    rereadAll();
                }
                for (Scheduled s : scheduled) {
                    if (now - s.next()[0] >= 0) {
                        s.next()[0] = now + s.every().toNanos();
                        s.task().run();
                    }
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("credential refresh failed: {}", e.toString());
            }
        }
    }

    private void rereadAll() {
        List<Runnable> all = new ArrayList<>();
        byDirectory.values().forEach(all::addAll);
        all.forEach(Runnable::run);
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
        if (watcher != null) {
            try {
                watcher.close();
            } catch (IOException e) {
                // closing
            }
        }
    }
}
