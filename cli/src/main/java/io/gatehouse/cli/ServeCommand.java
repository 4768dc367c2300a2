package io.gatehouse.cli;

import io.gatehouse.gateway.GatewayAssembly;
import io.gatehouse.gateway.route.GatewayRuntime;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gatehouse serve --config DIR}: runs the gateway until stopped. */
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
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            runtime.close();
            stopped.countDown();
        }, "gatehouse-shutdown"));
        stopped.await();
        return 0;
    }

    private int notStarted(java.util.List<String> errors) {
        errors.forEach(System.err::println);
        System.err.println("gatehouse: not started: fix the config in " + config + " (check it with "
                + "./gatehouse config validate " + config + ")");
        return 1;
    }
}
