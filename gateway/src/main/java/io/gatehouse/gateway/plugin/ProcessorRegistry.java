package io.gatehouse.gateway.plugin;

import io.gatehouse.spi.ProcessorFactory;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
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

    private static final String SERVICE_FILE = "META-INF/services/" + ProcessorFactory.class.getName();

    private final Map<String, ProcessorFactory<?>> factories;

    private ProcessorRegistry(Map<String, ProcessorFactory<?>> factories) {
        this.factories = Collections.unmodifiableMap(factories);
        checkSections(factories);
        checkDirectories(factories);
    }

    /** A config sub-directory has one owner, and {@code endpoints} has none. */
    private static void checkDirectories(Map<String, ProcessorFactory<?>> factories) {
        Map<String, ProcessorFactory<?>> owners = new TreeMap<>();
        for (ProcessorFactory<?> factory : factories.values()) {
            factory.configDirectory().ifPresent(directory -> {
                if (io.gatehouse.config.ConfigLoader.ENDPOINTS_DIRECTORY.equals(directory.name())) {
                    throw new PluginException("processor factory " + factory.getClass().getName() + " claims the"
                            + " config directory '" + directory.name() + "', which is the gateway's own", null);
                }
                ProcessorFactory<?> other = owners.putIfAbsent(directory.name(), factory);
                if (other != null) {
                    throw new PluginException("processor factories " + other.getClass().getName() + " and "
                            + factory.getClass().getName() + " both claim the config directory '" + directory.name()
                            + "'; remove one of the jars", null);
                }
            });
        }
    }

    /** A section of gateway.yaml has one owner, and the gateway's own keys have none. */
    private static void checkSections(Map<String, ProcessorFactory<?>> factories) {
        Map<String, ProcessorFactory<?>> owners = new TreeMap<>();
        for (ProcessorFactory<?> factory : factories.values()) {
            factory.gatewaySection().ifPresent(section -> {
                if (io.gatehouse.config.ConfigLoader.gatewayKeys().contains(section.key())) {
                    throw new PluginException("processor factory " + factory.getClass().getName() + " claims the"
                            + " gateway.yaml section '" + section.key() + "', which is one of the gateway's own keys",
                            null);
                }
                ProcessorFactory<?> other = owners.putIfAbsent(section.key(), factory);
                if (other != null) {
                    throw new PluginException("processor factories " + other.getClass().getName() + " and "
                            + factory.getClass().getName() + " both claim the gateway.yaml section '" + section.key()
                            + "'; remove one of the jars", null);
                }
            });
        }
    }

    /** Loads factories from the classpath and from every {@code *.jar} in {@code pluginsDirectory}. */
    public static ProcessorRegistry load(ClassLoader parent, Optional<Path> pluginsDirectory) {
        ClassLoader loader = pluginsDirectory.map(dir -> pluginLoader(parent, dir)).orElse(parent);
        Map<String, List<String>> declaredIn = pluginsDirectory.map(dir -> declarations(loader, dir)).orElse(Map.of());
        Map<String, ProcessorFactory<?>> byId = new TreeMap<>();
        try {
            for (ProcessorFactory<?> factory : ServiceLoader.load(ProcessorFactory.class, loader)) {
                // ServiceLoader instantiates a class named by two jars once, silently using the first jar:
                // two copies (or versions) of one plugin are two factories with one id.
                List<String> jars = declaredIn.getOrDefault(factory.getClass().getName(), List.of());
                if (jars.size() > 1) {
                    String name = factory.getClass().getName();
                    throw new PluginException("two processor factories have the id '" + factory.id() + "': " + name
                            + " from " + jars.get(0) + " and " + name + " from " + jars.get(1)
                            + "; remove one of the jars or rename one id", null);
                }
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

    /**
     * Provider class name → each jar or folder whose service file declares it, for the classes that a
     * jar of the plugins folder declares (a class declared only on the classpath is the build's business).
     */
    private static Map<String, List<String>> declarations(ClassLoader loader, Path pluginsDirectory) {
        Map<String, List<String>> found = new TreeMap<>();
        Map<String, Boolean> fromPlugin = new TreeMap<>();
        try {
            Enumeration<URL> files = loader.getResources(SERVICE_FILE);
            while (files.hasMoreElements()) {
                URL url = files.nextElement();
                String source = url.toString().replaceFirst("^jar:", "").replaceFirst("!?/" + SERVICE_FILE + "$", "");
                Path file = fileOf(source);
                boolean plugin = file != null && file.startsWith(pluginsDirectory.toAbsolutePath().normalize());
                try (BufferedReader in = new BufferedReader(new InputStreamReader(url.openStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line : in.lines().toList()) {
                        String name = line.replaceFirst("#.*", "").trim();
                        if (!name.isEmpty()) {
                            found.computeIfAbsent(name, k -> new ArrayList<>())
                                    .add(plugin ? file.getFileName().toString() : source);
                            fromPlugin.merge(name, plugin, Boolean::logicalOr);
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new PluginException("cannot read the processor declarations of the plugin jars: " + e.getMessage(), e);
        }
        found.keySet().removeIf(name -> !fromPlugin.get(name));
        return found;
    }

    private static Path fileOf(String source) {
        try {
            return Path.of(URI.create(source)).toAbsolutePath().normalize();
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            return null; // not a plain file (e.g. nested in another jar): never a plugin-folder jar
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

    /** Top-level gateway.yaml key → its record, for the sections factories own ({@code identity} …). */
    public Map<String, Class<? extends Record>> sectionTypes() {
        Map<String, Class<? extends Record>> types = new TreeMap<>();
        factories.values().forEach(f -> f.gatewaySection().ifPresent(s -> types.put(s.key(), s.type())));
        return types;
    }

    /** Config sub-directory → the record its files bind to ({@code policies} …). */
    public Map<String, Class<? extends Record>> directoryTypes() {
        Map<String, Class<? extends Record>> types = new TreeMap<>();
        factories.values().forEach(f -> f.configDirectory().ifPresent(d -> types.put(d.name(), d.type())));
        return types;
    }

    /** The factory that owns a config sub-directory, by name. */
    public Map<String, ProcessorFactory<?>> directoryOwners() {
        Map<String, ProcessorFactory<?>> owners = new TreeMap<>();
        factories.values().forEach(f -> f.configDirectory().ifPresent(d -> owners.put(d.name(), f)));
        return owners;
    }

    /** The factory that owns a gateway.yaml section, by key. */
    public Map<String, ProcessorFactory<?>> sectionOwners() {
        Map<String, ProcessorFactory<?>> owners = new TreeMap<>();
        factories.values().forEach(f -> f.gatewaySection().ifPresent(s -> owners.put(s.key(), f)));
        return owners;
    }

    public Map<String, ProcessorFactory<?>> all() {
        return factories;
    }
}
