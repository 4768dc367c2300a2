package io.gatehouse.gateway.plugin;

import io.gatehouse.spi.ProcessorFactory;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The processor factories this gateway knows: built-ins and plugins on the classpath, plus the
 * jars of a plugins folder, all found with {@link ServiceLoader}. Two factories with one id fail the
 * start, naming both classes: silently picking one would run code nobody chose.
 */
public final class ProcessorRegistry {

    /** The registry could not be built; the message says what to fix. */
    public static final class PluginException extends RuntimeException {
        public PluginException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Map<String, ProcessorFactory<?>> factories;

    private ProcessorRegistry(Map<String, ProcessorFactory<?>> factories) {
        this.factories = Collections.unmodifiableMap(factories);
    }

    /** Loads factories from the classpath and from every {@code *.jar} in {@code pluginsDirectory}. */
    public static ProcessorRegistry load(ClassLoader parent, Optional<Path> pluginsDirectory) {
        ClassLoader loader = pluginsDirectory.map(dir -> pluginLoader(parent, dir)).orElse(parent);
        Map<String, ProcessorFactory<?>> byId = new TreeMap<>();
        try {
            for (ProcessorFactory<?> factory : ServiceLoader.load(ProcessorFactory.class, loader)) {
                register(byId, factory);
            }
        } catch (ServiceConfigurationError e) {
            throw new PluginException("a processor plugin could not be loaded: " + e.getMessage(), e);
        }
        return new ProcessorRegistry(byId);
    }

    /** A registry of exactly these factories (tests, embedding). */
    public static ProcessorRegistry of(List<? extends ProcessorFactory<?>> list) {
        Map<String, ProcessorFactory<?>> byId = new TreeMap<>();
        list.forEach(f -> register(byId, f));
        return new ProcessorRegistry(byId);
    }

    private static void register(Map<String, ProcessorFactory<?>> byId, ProcessorFactory<?> factory) {
        String id = factory.id();
        if (id == null || !id.matches("[a-z][a-z0-9-]*")) {
            throw new PluginException("processor factory " + factory.getClass().getName() + " has id '" + id
                    + "'; an id is lower-case letters, digits and dashes, starting with a letter", null);
        }
        ProcessorFactory<?> previous = byId.putIfAbsent(id, factory);
        if (previous != null) {
            throw new PluginException("two processor factories have the id '" + id + "': "
                    + previous.getClass().getName() + " and " + factory.getClass().getName()
                    + "; remove one of the jars or rename one id", null);
        }
    }

    private static ClassLoader pluginLoader(ClassLoader parent, Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new PluginException("the plugins directory " + dir + " does not exist or is not a directory", null);
        }
        List<URL> jars = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path jar : files.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                jars.add(jar.toUri().toURL());
            }
        } catch (MalformedURLException e) {
            throw new PluginException("a plugin jar path is not usable: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new PluginException("cannot list the plugins directory " + dir + ": " + e.getMessage(), e);
        }
        return new URLClassLoader("gatehouse-plugins", jars.toArray(URL[]::new), parent);
    }

    public Optional<ProcessorFactory<?>> find(String id) {
        return Optional.ofNullable(factories.get(id));
    }

    /** Step id → config record type, for the config loader. */
    public Map<String, Class<? extends Record>> configTypes() {
        Map<String, Class<? extends Record>> types = new TreeMap<>();
        factories.forEach((id, f) -> types.put(id, f.configType()));
        return types;
    }

    public Map<String, ProcessorFactory<?>> all() {
        return factories;
    }
}
