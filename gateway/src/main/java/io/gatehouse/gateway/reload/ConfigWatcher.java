package io.gatehouse.gateway.reload;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code reload: {watch: true}}: watches the config directory and its sub-directories (JDK
 * {@link WatchService}) and reloads once the files have been quiet for {@code watchDelay}, so the several
 * writes of one save (or of a {@code git pull}) make one reload. Only YAML files count; a reload that finds
 * the same version does nothing, and one that is refused leaves the running config serving and logs the
 * errors, as every reload does.
 */
public final class ConfigWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);

    private final WatchService watch;
    private final Path root;
    private final Duration delay;
    private final Runnable reload;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gatehouse-config-watch-reload");
        t.setDaemon(true);
        return t;
    });
    private final Thread thread;
    private ScheduledFuture<?> pending;

    private ConfigWatcher(Path root, Duration delay, Runnable reload) throws IOException {
        this.root = root;
        this.delay = delay;
        this.reload = reload;
        this.watch = FileSystems.getDefault().newWatchService();
        registerAll(root);
        this.thread = new Thread(this::run, "gatehouse-config-watch");
        this.thread.setDaemon(true);
    }

    public static ConfigWatcher start(Path directory, Duration delay, Runnable reload) {
        try {
            ConfigWatcher watcher = new ConfigWatcher(directory.toAbsolutePath().normalize(), delay, reload);
            watcher.thread.start();
            LOG.info("watching {} for config changes (reload after {} ms of quiet)", watcher.root, delay.toMillis());
            return watcher;
        } catch (IOException e) {
            throw new IllegalStateException("cannot watch the config directory " + directory + ": " + e.getMessage(),
                    e);
        }
    }

    private void registerAll(Path start) throws IOException {
        try (Stream<Path> dirs = Files.walk(start)) {
            for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                if (!root.relativize(dir).toString().startsWith(".")) {
                    dir.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                            StandardWatchEventKinds.ENTRY_DELETE);
                }
            }
        }
    }

    private void run() {
        try {
            while (true) {
                WatchKey key = watch.take();
                Path dir = (Path) key.watchable();
                boolean relevant = false;
                for (WatchEvent<?> event : key.pollEvents()) {
                    if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                        relevant = true;
                        continue;
                    }
                    Path changed = dir.resolve((Path) event.context());
                    if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE && Files.isDirectory(changed)) {
                        registerAll(changed);
                        relevant = true;
                    } else if (ConfigVersion.isConfigFile(root.relativize(changed).toString().replace('\\', '/'))) {
                        relevant = true;
                    }
                }
                key.reset();
                if (relevant) {
                    schedule();
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closed
        } catch (IOException e) {
            LOG.error("the config watch stopped: {}", e.getMessage());
        }
    }

    private synchronized void schedule() {
        if (pending != null) {
            pending.cancel(false);
        }
        pending = timer.schedule(() -> {
            try {
                reload.run();
            } catch (RuntimeException e) {
                LOG.error("a watched config reload failed", e);
            }
        }, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        try {
            watch.close();
        } catch (IOException e) {
            // closing
        }
        thread.interrupt();
        timer.shutdownNow();
    }
}
