package io.gatehouse.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Loads a config directory: {@code gateway.yaml}, {@code endpoints/*.yaml} (one endpoint per file) and
 * the sub-directories processor factories own ({@code policies/*.yaml} …). Binding is strict and every error is collected, with its file, line
 * and column; nothing is half-loaded.
 *
 * <p>The step catalogue comes from outside (the gateway discovers processor factories); each pipeline
 * step is bound to the config record its id maps to.
 */
public final class ConfigLoader {

    public static final String GATEWAY_FILE = "gateway.yaml";
    public static final String ENDPOINTS_DIRECTORY = "endpoints";

    private final SortedMap<String, Class<? extends Record>> stepConfigTypes;
    private final SortedMap<String, Class<? extends Record>> sectionTypes;
    private final SortedMap<String, Class<? extends Record>> directoryTypes;
    private final Function<String, String> env;

    /**
     * @param stepConfigTypes step id to its config record, e.g. {@code limits -> LimitsConfig.class}
     * @param env             environment lookup for {@code env:} secrets, e.g. {@code System::getenv}
     */
    public ConfigLoader(Map<String, Class<? extends Record>> stepConfigTypes, Function<String, String> env) {
        this(stepConfigTypes, Map.of(), env);
    }

    /**
     * @param stepConfigTypes step id to its config record, e.g. {@code limits -> LimitsConfig.class}
     * @param sectionTypes    top-level keys of {@code gateway.yaml} that processor factories own, to their
     *                        records, e.g. {@code identity -> IdentityConfig.class}; bound strictly like steps
     * @param env             environment lookup for {@code env:} secrets, e.g. {@code System::getenv}
     * @throws IllegalArgumentException when a section key is one of gateway.yaml's own keys
     */
    public ConfigLoader(Map<String, Class<? extends Record>> stepConfigTypes,
                        Map<String, Class<? extends Record>> sectionTypes, Function<String, String> env) {
        this(stepConfigTypes, sectionTypes, Map.of(), env);
    }

    /**
     * @param stepConfigTypes step id to its config record, e.g. {@code limits -> LimitsConfig.class}
     * @param sectionTypes    top-level keys of {@code gateway.yaml} that processor factories own, to their records
     * @param directoryTypes  sub-directories that processor factories own, to the record each file there
     *                        binds to, e.g. {@code policies -> PolicyFile.class}
     * @param env             environment lookup for {@code env:} secrets, e.g. {@code System::getenv}
     * @throws IllegalArgumentException when a section key is one of gateway.yaml's own keys, or a directory
     *                                  is {@code endpoints}
     */
    public ConfigLoader(Map<String, Class<? extends Record>> stepConfigTypes,
                        Map<String, Class<? extends Record>> sectionTypes,
                        Map<String, Class<? extends Record>> directoryTypes, Function<String, String> env) {
        this.stepConfigTypes = Collections.unmodifiableSortedMap(new TreeMap<>(stepConfigTypes));
        this.sectionTypes = Collections.unmodifiableSortedMap(new TreeMap<>(sectionTypes));
        this.directoryTypes = Collections.unmodifiableSortedMap(new TreeMap<>(directoryTypes));
        if (this.directoryTypes.containsKey(ENDPOINTS_DIRECTORY)) {
            throw new IllegalArgumentException("config directory '" + ENDPOINTS_DIRECTORY + "' is the gateway's own");
        }
        this.env = Objects.requireNonNull(env, "env");
        for (String key : this.sectionTypes.keySet()) {
            if (gatewayKeys().contains(key)) {
                throw new IllegalArgumentException("gateway.yaml section '" + key + "' is one of gateway.yaml's own keys");
            }
        }
    }

    /** The top-level keys of {@code gateway.yaml} that the gateway itself owns (no factory may claim one). */
    public static java.util.Set<String> gatewayKeys() {
        java.util.Set<String> keys = new java.util.TreeSet<>();
        for (java.lang.reflect.RecordComponent c : GatewayYaml.class.getRecordComponents()) {
            keys.add(c.getName());
        }
        return keys;
    }

    /**
     * A cheap read of {@code plugins.directory} in {@code gateway.yaml}, resolved against the config
     * directory, for finding plugin jars before the step catalogue is known. Any problem reads as
     * empty here; {@link #load} reports it.
     */
    public static Optional<Path> pluginsDirectory(Path configDirectory) {
        Path directory = configDirectory.toAbsolutePath().normalize();
        return YamlFiles.compose(directory.resolve(GATEWAY_FILE), GATEWAY_FILE, new ArrayList<>())
                .flatMap(root -> Nodes.get(root, "plugins", "directory"))
                .flatMap(Nodes::text)
                .flatMap(text -> {
                    try {
                        return Optional.of(directory.resolve(text).normalize());
                    } catch (InvalidPathException e) {
                        return Optional.empty();
                    }
                });
    }

    /**
     * A cheap read of {@code admin.host} and {@code admin.port} in {@code gateway.yaml} (defaults when
     * absent), for commands that reach a running gateway even while the directory's other files are broken
     * ({@code gatehouse reload}). Empty when gateway.yaml cannot be read at all.
     */
    public static Optional<String> adminAddress(Path configDirectory) {
        Path directory = configDirectory.toAbsolutePath().normalize();
        return YamlFiles.compose(directory.resolve(GATEWAY_FILE), GATEWAY_FILE, new ArrayList<>()).map(root -> {
            String host = Nodes.get(root, "admin", "host").flatMap(Nodes::text).orElse(AdminConfig.DEFAULT_HOST);
            String port = Nodes.get(root, "admin", "port").flatMap(Nodes::text)
                    .orElse(String.valueOf(AdminConfig.DEFAULT_PORT));
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        });
    }

    /** Loads and validates the directory; never throws for bad config. */
    public LoadResult<GatewayConfig> load(Path configDirectory) {
        Path directory = configDirectory.toAbsolutePath().normalize();
        if (!Files.isDirectory(directory)) {
            return LoadResult.invalid(List.of(new ConfigError(directory.toString(), 0, 0, "", "config directory not found")));
        }
        List<ConfigError> errors = new ArrayList<>();
        GatewayPart gateway = readGateway(directory, errors);
        List<EndpointPart> endpoints = readEndpoints(directory, errors);
        CrossChecks.check(gateway, endpoints, errors);
        Map<String, List<io.gatehouse.spi.ConfigFile<?>>> files = DirectoryFiles.bind(directory, directoryTypes, env,
                errors);
        if (!errors.isEmpty()) {
            return LoadResult.invalid(errors);
        }
        GatewayConfig config = assemble(directory, gateway.yaml(), endpoints, gateway.sections());
        Record adminAuth = bindAdminAuth(directory, gateway, errors);
        if (!errors.isEmpty()) {
            return LoadResult.invalid(errors);
        }
        return LoadResult.valid(withStoreAndAdmin(config, gateway.yaml(), adminAuth).withDirectories(files)
                .withLifecycle(gateway.yaml().lifecycle()));
    }

    /**
     * {@code admin.auth} is the {@code auth} step's config: bound to that step's record exactly as a
     * pipeline step is, so the admin API verifies tokens with the same code as the endpoints.
     */
    private Record bindAdminAuth(Path directory, GatewayPart gateway, List<ConfigError> errors) {
        Node node = gateway.yaml().admin().auth();
        if (node == null || Nodes.isNull(node)) {
            return null;
        }
        RecordBinder binder = new RecordBinder(GATEWAY_FILE, directory, env, errors);
        Class<? extends Record> type = stepConfigTypes.get("auth");
        if (type == null) {
            binder.error(node, Where.root("").field("admin").field("auth"),
                    "the admin API's auth needs the 'auth' step, which no processor factory provides");
            return null;
        }
        return binder.bindRecord(node, type, Where.root("").field("admin").field("auth"));
    }

    private static GatewayConfig withStoreAndAdmin(GatewayConfig c, GatewayYaml yaml, Record adminAuth) {
        AdminConfig admin = adminAuth == null ? c.admin() : c.admin().withAuth(adminAuth);
        return new GatewayConfig(c.directory(), c.listeners(), admin, c.agents(), c.dataDirectory(),
                c.pluginsDirectory(), c.endpoints(), c.sections(), yaml.store().toConfig(c.dataDirectory()))
                .withAgentTunnel(yaml.agentTunnel() == null ? null : yaml.agentTunnel().toConfig())
                .withTracing(yaml.tracing());
    }

    /** gateway.yaml as read: the root node and the bound record, each null when unavailable; the bound sections. */
    record GatewayPart(Node root, GatewayYaml yaml, Map<String, Record> sections) {
        GatewayPart(Node root, GatewayYaml yaml) {
            this(root, yaml, Map.of());
        }
    }

    /** One endpoint file as read: the bound record is null when it has errors. */
    record EndpointPart(String file, Node root, EndpointYaml yaml, List<BoundStep> steps) {
    }

    record BoundStep(String id, Record config, int line, int column) {
    }

    private GatewayPart readGateway(Path directory, List<ConfigError> errors) {
        int errorsBefore = errors.size();
        Node root = YamlFiles.compose(directory.resolve(GATEWAY_FILE), GATEWAY_FILE, errors).orElse(null);
        if (root == null) {
            if (errors.size() == errorsBefore) {
                errors.add(YamlFiles.emptyFile(GATEWAY_FILE, GatewayYaml.class));
            }
            return new GatewayPart(null, null);
        }
        RecordBinder binder = new RecordBinder(GATEWAY_FILE, directory, env, errors);
        Map<String, Record> sections = new LinkedHashMap<>();
        Node own = bindSections(root, binder, sections);
        GatewayYaml yaml = binder.bindRecord(own, GatewayYaml.class, Where.root("", GatewayYaml.LABELS));
        return new GatewayPart(root, yaml, Collections.unmodifiableMap(sections));
    }

    /**
     * Binds each factory-owned section ({@code identity:} …; absent binds as {@code {}}) and returns the
     * root without them, for the gateway's own record.
     */
    private Node bindSections(Node root, RecordBinder binder, Map<String, Record> sections) {
        if (sectionTypes.isEmpty() || !(root instanceof MappingNode map)) {
            return root;
        }
        List<NodeTuple> own = new ArrayList<>();
        Map<String, Node> bodies = new HashMap<>();
        for (NodeTuple t : map.getValue()) {
            Optional<String> key = Nodes.text(t.getKeyNode());
            if (key.isPresent() && sectionTypes.containsKey(key.get()) && !bodies.containsKey(key.get())) {
                bodies.put(key.get(), t.getValueNode());
            } else {
                own.add(t);
            }
        }
        sectionTypes.forEach((key, type) -> {
            Node body = bodies.get(key);
            Node bound = body == null || Nodes.isNull(body) ? Nodes.emptyMapAt(body == null ? root : body) : body;
            Record section = binder.bindRecord(bound, type, Where.root("").field(key));
            if (section != null) {
                sections.put(key, section);
            }
        });
        return new MappingNode(map.getTag(), false, own, map.getFlowStyle(), map.getStartMark(), map.getEndMark());
    }

    private List<EndpointPart> readEndpoints(Path directory, List<ConfigError> errors) {
        List<Path> files = endpointFiles(directory.resolve(ENDPOINTS_DIRECTORY), errors);
        if (files.isEmpty()) {
            errors.add(new ConfigError(ENDPOINTS_DIRECTORY, 0, 0, "",
                    "no endpoint files: write one endpoint per file, as endpoints/<id>.yaml"));
        }
        List<EndpointPart> parts = new ArrayList<>();
        for (Path path : files) {
            String file = ENDPOINTS_DIRECTORY + "/" + path.getFileName();
            int errorsBefore = errors.size();
            Node root = YamlFiles.compose(path, file, errors).orElse(null);
            if (root == null) {
                if (errors.size() == errorsBefore) {
                    errors.add(YamlFiles.emptyFile(file, EndpointYaml.class));
                }
                continue;
            }
            RecordBinder binder = new RecordBinder(file, directory, env, errors);
            Where where = Where.root(Nodes.get(root, "id").flatMap(Nodes::text)
                    .map(id -> "endpoint " + Nodes.quote(id)).orElse("endpoint"));
            EndpointYaml yaml = binder.bindRecord(root, EndpointYaml.class, where);
            parts.add(new EndpointPart(file, root, yaml, bindPipeline(root, binder, where)));
        }
        return parts;
    }

    private static List<Path> endpointFiles(Path endpoints, List<ConfigError> errors) {
        if (!Files.isDirectory(endpoints)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(endpoints)) {
            return files.filter(Files::isRegularFile)
                    .filter(f -> {
                        String name = f.getFileName().toString();
                        return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml"));
                    })
                    .sorted()
                    .toList();
        } catch (IOException e) {
            errors.add(new ConfigError(ENDPOINTS_DIRECTORY, 0, 0, "", "cannot list the directory (" + e + ")"));
            return List.of();
        }
    }

    /** Binds each {@code - <step id>: {config}} item to its step's record; bad items are reported. */
    private List<BoundStep> bindPipeline(Node root, RecordBinder binder, Where endpoint) {
        if (!(Nodes.get(root, "pipeline").orElse(null) instanceof SequenceNode pipeline)) {
            return List.of(); // absent, or reported by the endpoint's binding
        }
        List<BoundStep> steps = new ArrayList<>();
        int index = 0;
        for (Node item : pipeline.getValue()) {
            Where at = endpoint.field("pipeline").index(index++);
            if (!(item instanceof MappingNode step) || step.getValue().size() != 1) {
                String written = item instanceof MappingNode map
                        ? "a map with " + map.getValue().size() + " keys" : Nodes.describe(item);
                binder.error(item, at, written + " (expected: one step as a single-key map, like '- limits: {...}')");
                continue;
            }
            NodeTuple entry = step.getValue().get(0);
            Optional<String> id = Nodes.text(entry.getKeyNode());
            if (id.isEmpty()) {
                binder.error(entry.getKeyNode(), at, Nodes.describe(entry.getKeyNode()) + " (expected: a step id)");
                continue;
            }
            Class<? extends Record> type = stepConfigTypes.get(id.get());
            if (type == null) {
                binder.error(entry.getKeyNode(), endpoint, "unknown step " + Nodes.quote(id.get()) + " (known steps: "
                        + (stepConfigTypes.isEmpty() ? "none" : String.join(", ", stepConfigTypes.keySet())) + ")");
                continue;
            }
            Node body = Nodes.isNull(entry.getValueNode()) ? Nodes.emptyMapAt(entry.getKeyNode()) : entry.getValueNode();
            Record config = binder.bindRecord(body, type, endpoint.then("step " + Nodes.quote(id.get())));
            if (config != null) {
                steps.add(new BoundStep(id.get(), config, Nodes.line(entry.getKeyNode()), Nodes.column(entry.getKeyNode())));
            }
        }
        return steps;
    }

    private static GatewayConfig assemble(Path directory, GatewayYaml gateway, List<EndpointPart> parts,
                                          Map<String, Record> sections) {
        Map<String, ListenerConfig> listeners = new LinkedHashMap<>();
        gateway.listeners().forEach((name, listener) -> listeners.put(name, listener.toConfig()));
        Map<String, AgentConnectionConfig> agents = new LinkedHashMap<>();
        gateway.agents().forEach((name, agent) -> agents.put(name, agent.toConfig(name)));
        List<EndpointConfig> endpoints = new ArrayList<>();
        for (EndpointPart part : parts) {
            EndpointYaml e = part.yaml();
            Map<String, Integer> uses = new HashMap<>();
            List<StepConfig> pipeline = new ArrayList<>();
            for (BoundStep step : part.steps()) {
                int use = uses.merge(step.id(), 1, Integer::sum);
                String nodeId = e.id() + "." + step.id() + (use == 1 ? "" : "-" + use);
                pipeline.add(new StepConfig(step.id(), step.config(), nodeId, step.line(), step.column()));
            }
            endpoints.add(new EndpointConfig(e.id(), e.listener(), e.path(), e.models(), e.serverCalls(),
                    e.protocol().id(), e.target(), pipeline, part.file()));
        }
        return new GatewayConfig(directory, listeners, gateway.admin().toConfig(), agents,
                Path.of(gateway.dataDirectory()).toAbsolutePath().normalize(),
                Optional.ofNullable(gateway.plugins().directory()), endpoints, sections);
    }
}
