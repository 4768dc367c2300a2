package io.gatehouse.cli;

import io.gatehouse.config.LifecycleConfig;
import io.gatehouse.gateway.GatewayAssembly;
import io.gatehouse.gateway.route.GatewayRuntime;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gatehouse serve --config DIR}: runs the gateway until stopped. SIGHUP reloads the config
 * directory (as {@code gatehouse reload} does); SIGTERM or SIGINT drains ({@code shutdown.drainDelay},
 * {@code shutdown.drainTimeout}), closes everything in order and exits 0.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Runs the gateway.")
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "DIR", description = "the config directory")
    Path config;

    @Override
    public Integer call() throws Exception {
        // The processors are created once, by start, which reports what factories refuse.
        GatewayAssembly.Loaded loaded = GatewayAssembly.loadConfig(config, System::getenv);
        if (!loaded.errors().isEmpty()) {
            return notStarted(loaded.errors());
        }
        GatewayRuntime runtime;
        try {
            runtime = GatewayRuntime.start(loaded.config(), loaded.registry());
        } catch (GatewayRuntime.ProcessorCreationException e) {
            return notStarted(e.errors());
        }
        CountDownLatch stop = new CountDownLatch(1);
        ExecutorService reloads = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "gatehouse-sighup");
            t.setDaemon(true);
            return t;
        });
        boolean hup = Signals.on("HUP", () -> reloads.execute(() -> report(runtime.reload("SIGHUP", "signal"))));
        boolean term = Signals.on("TERM", stop::countDown);
        Signals.on("INT", stop::countDown);
        // Any other way out of the JVM (System.exit elsewhere, a signal we could not handle) still closes in order.
        Runtime.getRuntime().addShutdownHook(new Thread(runtime::close, "gatehouse-shutdown"));
        System.err.println("gatehouse: serving " + runtime.applied().version().version() + " from " + config
                + (hup ? "; SIGHUP reloads" : "") + (term ? "; SIGTERM drains and stops" : ""));
        stop.await();
        LifecycleConfig lifecycle = runtime.applied().config().lifecycle();
        long left = runtime.drain(lifecycle.drainDelay(), lifecycle.drainTimeout());
        runtime.close();
        reloads.shutdownNow();
        System.err.println("gatehouse: stopped" + (left == 0 ? " after a complete drain"
                : "; " + left + " exchange(s) were still in flight at the drain timeout and were ended"));
        return 0;
    }

    private static void report(GatewayRuntime.ReloadResult result) {
        if (result.applied()) {
            System.err.println("gatehouse: SIGHUP: " + result.outcome().name().toLowerCase(java.util.Locale.ROOT)
                    + " " + result.version());
        } else {
            result.errors().forEach(System.err::println);
            System.err.println("gatehouse: SIGHUP: config refused; still serving " + result.version());
        }
    }

    private int notStarted(java.util.List<String> errors) {
        errors.forEach(System.err::println);
        System.err.println("gatehouse: not started: fix the config in " + config + " (check it with "
                + "./gatehouse config validate " + config + ")");
        return 1;
    }
}
