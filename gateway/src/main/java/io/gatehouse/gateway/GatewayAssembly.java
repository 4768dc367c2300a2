package io.gatehouse.gateway;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.config.LoadResult;
import io.gatehouse.gateway.plugin.ProcessorRegistry;
import io.gatehouse.gateway.route.GatewayRuntime;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** Loads a config directory the way {@code serve} and {@code config validate} both need it. */
public final class GatewayAssembly {

    /** A loaded config with its registry, or the errors that prevent it. */
    public record Loaded(GatewayConfig config, ProcessorRegistry registry, List<String> errors) {
    }

    private GatewayAssembly() {
    }

    /**
     * Loads the config and creates (then closes) every processor against services that open no store, so
     * that what factories refuse is reported too ({@code config validate}).
     */
    public static Loaded load(Path directory, Function<String, String> env) {
        Loaded loaded = loadConfig(directory, env);
        if (!loaded.errors().isEmpty()) {
            return loaded;
        }
        List<String> errors = new ArrayList<>();
        try {
            GatewayRuntime.checkProcessors(loaded.config(), loaded.registry());
        } catch (GatewayRuntime.ProcessorCreationException e) {
            errors.addAll(e.errors());
        }
        return new Loaded(errors.isEmpty() ? loaded.config() : null, loaded.registry(), errors);
    }

    /**
     * Loads the config without creating processors: for a caller that starts the gateway next, whose
     * {@link GatewayRuntime#start} creates them once and reports what factories refuse.
     */
    public static Loaded loadConfig(Path directory, Function<String, String> env) {
        ProcessorRegistry registry;
        try {
            Optional<Path> plugins = ConfigLoader.pluginsDirectory(directory);
            registry = ProcessorRegistry.load(GatewayAssembly.class.getClassLoader(), plugins);
        } catch (ProcessorRegistry.PluginException e) {
            return new Loaded(null, null, List.of(e.getMessage()));
        }
        return loadConfig(directory, env, registry);
    }

    /**
     * Loads the config with the factories of a running gateway (a reload: plugins are found once, at
     * start).
     */
    public static Loaded loadConfig(Path directory, Function<String, String> env, ProcessorRegistry registry) {
        LoadResult<GatewayConfig> result = new ConfigLoader(registry.configTypes(), registry.sectionTypes(),
                registry.directoryTypes(), env)
                .load(directory);
        if (!result.isValid()) {
            return new Loaded(null, registry, result.formattedErrors());
        }
        return new Loaded(result.orThrow(), registry, List.of());
    }
}
