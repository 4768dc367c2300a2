package io.gatehouse.config;

import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.Secret;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Binds composed YAML nodes to records, strictly, collecting every error with its position instead of
 * stopping at the first.
 *
 * <p>Each record component is read from the map key of the same name. A missing or empty key passes
 * null, so the canonical constructor applies defaults and validation; a missing primitive is
 * {@code is required}. A constructor's {@link ConfigException} is reported at the named field. A
 * record is constructed only when all its components bound, so one mistake gives one error.
 *
 * <p>A component of type {@link Node} receives the raw node, for parts bound later (the pipeline).
 */
final class RecordBinder {

    static final String INLINE_SECRET = "write a secret as env:NAME or file:PATH, not inline";

    /** Marks a value that failed to bind; its error is already recorded. */
    private static final Object INVALID = new Object();

    private final String file;
    private final Path baseDirectory;
    private final Function<String, String> env;
    private final List<ConfigError> errors;

    /**
     * @param file          the file name shown in errors, relative to the config directory
     * @param baseDirectory what relative paths (and {@code file:} secrets) are resolved against
     * @param env           environment lookup for {@code env:} secrets
     * @param errors        where errors are added
     */
    RecordBinder(String file, Path baseDirectory, Function<String, String> env, List<ConfigError> errors) {
        this.file = file;
        this.baseDirectory = baseDirectory;
        this.env = env;
        this.errors = errors;
    }

    /** The record, or null when it did not bind (the errors are recorded). An empty node binds as {@code {}}. */
    <R extends Record> R bindRecord(Node node, Class<R> type, Where where) {
        Object value = bind(node, type, where);
        return value == INVALID ? null : type.cast(value);
    }

    void error(Node at, Where where, String message) {
        errors.add(new ConfigError(file, Nodes.line(at), Nodes.column(at), where.text(), message));
    }

    private Object bind(Node node, Type type, Where where) {
        Class<?> raw = rawClass(type);
        if (raw == null || (raw == List.class || raw == Set.class || raw == Map.class) && elementTypesOf(type) == null) {
            return unsupported(node, type, where);
        }
        if (raw == Node.class) {
            return node;
        }
        if (raw.isRecord() && !ValueTypes.isScalar(raw)) {
            return bindRecordNode(node, raw, where);
        }
        if (Nodes.isNull(node)) {
            error(node, where, "an empty value (expected: " + expected(type) + ")");
            return INVALID;
        }
        if (raw == List.class || raw == Set.class) {
            return bindCollection(node, elementTypesOf(type)[0], raw == Set.class, where);
        }
        if (raw == Map.class) {
            return bindMap(node, type, where);
        }
        if (raw == Secret.class) {
            return bindSecret(node, where);
        }
        if (raw == Path.class) {
            return bindScalar(node, "a path", text -> baseDirectory.resolve(text).normalize(), where);
        }
        ValueTypes.Scalar scalar = ValueTypes.scalar(raw);
        if (scalar == null) {
            return unsupported(node, type, where);
        }
        return bindScalar(node, scalar.expected(), scalar.parse(), where);
    }

    /** A record component of a type outside the supported set: a bug in the record, reported like bad input. */
    private Object unsupported(Node node, Type type, Where where) {
        error(node, where, "the config record uses " + type.getTypeName() + ", which config cannot bind");
        return INVALID;
    }

    private Object bindScalar(Node node, String expected, Function<String, Object> parse, Where where) {
        if (node instanceof ScalarNode scalar) {
            try {
                return parse.apply(scalar.getValue());
            } catch (RuntimeException e) {
                // reported below with the value echoed: secrets are bound by bindSecret, never here
            }
        }
        error(node, where, Nodes.describe(node) + " (expected: " + expected + ")");
        return INVALID;
    }

    private Object bindRecordNode(Node node, Class<?> type, Where where) {
        if (Nodes.isNull(node)) {
            node = Nodes.emptyMapAt(node);
        }
        if (!(node instanceof MappingNode map)) {
            error(node, where, Nodes.describe(node) + " (expected: " + expected(type) + ")");
            return INVALID;
        }
        RecordComponent[] components = type.getRecordComponents();
        Set<String> names = Arrays.stream(components).map(RecordComponent::getName)
                .collect(Collectors.toCollection(LinkedHashSet::new));
        int errorsBefore = errors.size();
        Map<String, NodeTuple> entries = entries(map, names, where);
        boolean keysOk = errors.size() == errorsBefore;
        boolean ok = keysOk;
        Object[] args = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent component = components[i];
            Where field = where.field(component.getName());
            NodeTuple entry = entries.get(component.getName());
            if (entry == null || Nodes.isNull(entry.getValueNode())) {
                if (component.getType().isPrimitive() && keysOk) {
                    error(entry == null ? map : entry.getKeyNode(), field, "is required");
                    ok = false;
                }
                continue;
            }
            Object value = bind(entry.getValueNode(), component.getGenericType(), field);
            if (value == INVALID) {
                ok = false;
            } else {
                args[i] = value;
            }
        }
        return ok ? construct(type, components, args, map, entries, where) : INVALID;
    }

    /** The entries under known keys; a key that is unknown, repeated or not a string is reported. */
    private Map<String, NodeTuple> entries(MappingNode map, Set<String> names, Where where) {
        Map<String, NodeTuple> entries = new LinkedHashMap<>();
        for (NodeTuple t : map.getValue()) {
            String key = key(t.getKeyNode(), where);
            if (key == null) {
                continue;
            }
            if (!names.contains(key)) {
                error(t.getKeyNode(), where, "unknown key " + Nodes.quote(key) + " (accepted: "
                        + (names.isEmpty() ? "none" : String.join(", ", names)) + ")");
            } else if (entries.putIfAbsent(key, t) != null) {
                error(t.getKeyNode(), where, "duplicate key " + Nodes.quote(key));
            }
        }
        return entries;
    }

    private Object construct(Class<?> type, RecordComponent[] components, Object[] args, MappingNode map,
                             Map<String, NodeTuple> entries, Where where) {
        try {
            Constructor<?> constructor = type.getDeclaredConstructor(
                    Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
            constructor.setAccessible(true);
            return constructor.newInstance(args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ConfigException ce && ce.field() != null) {
                NodeTuple entry = entries.get(ce.field());
                Node at = entry == null ? map
                        : Nodes.isNull(entry.getValueNode()) ? entry.getKeyNode() : entry.getValueNode();
                error(at, where.field(ce.field()), ce.getMessage());
            } else {
                error(map, where, cause.getMessage() != null ? cause.getMessage() : cause.toString());
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            error(map, where, "cannot create " + type.getName() + ": " + e);
        }
        return INVALID;
    }

    private Object bindCollection(Node node, Type element, boolean set, Where where) {
        if (!(node instanceof SequenceNode sequence)) {
            error(node, where, Nodes.describe(node) + " (expected: a list)");
            return INVALID;
        }
        List<Object> items = new ArrayList<>();
        Set<Object> seen = new LinkedHashSet<>();
        boolean ok = true;
        int index = 0;
        for (Node item : sequence.getValue()) {
            Where at = where.index(index++);
            Object value = bind(item, element, at);
            if (value == INVALID) {
                ok = false;
            } else if (set && !seen.add(value)) {
                error(item, at, "duplicate item (a set holds each value once)");
                ok = false;
            } else {
                items.add(value);
            }
        }
        if (!ok) {
            return INVALID;
        }
        return set ? Collections.unmodifiableSet(new LinkedHashSet<>(items)) : List.copyOf(items);
    }

    private Object bindMap(Node node, Type type, Where where) {
        Type[] keyAndValue = elementTypesOf(type);
        if (keyAndValue[0] != String.class) {
            return unsupported(node, type, where);
        }
        if (!(node instanceof MappingNode map)) {
            error(node, where, Nodes.describe(node) + " (expected: a map)");
            return INVALID;
        }
        Map<String, Object> values = new LinkedHashMap<>();
        boolean ok = true;
        for (NodeTuple t : map.getValue()) {
            String key = key(t.getKeyNode(), where);
            if (key == null) {
                ok = false;
                continue;
            }
            if (values.containsKey(key)) {
                error(t.getKeyNode(), where, "duplicate key " + Nodes.quote(key));
                ok = false;
                continue;
            }
            Object value = bind(t.getValueNode(), keyAndValue[1], where.key(key));
            if (value == INVALID) {
                ok = false;
            }
            values.put(key, value);
        }
        return ok ? Collections.unmodifiableMap(values) : INVALID;
    }

    private Object bindSecret(Node node, Where where) {
        String reference = Nodes.text(node).orElse("");
        if (reference.startsWith("env:") && reference.length() > 4) {
            String value = env.apply(reference.substring(4));
            if (value == null) {
                error(node, where, "secret " + reference + " is not set in the environment");
                return INVALID;
            }
            return Secret.of(reference, value);
        }
        if (reference.startsWith("file:") && reference.length() > 5) {
            try {
                String content = Files.readString(baseDirectory.resolve(reference.substring(5)));
                return Secret.of(reference, content.replaceAll("[\r\n]+$", ""));
            } catch (IOException | RuntimeException e) {
                error(node, where, "secret " + reference + " cannot be read (" + reason(e) + ")");
                return INVALID;
            }
        }
        error(node, where, INLINE_SECRET);
        return INVALID;
    }

    private String key(Node keyNode, Where where) {
        if (keyNode instanceof ScalarNode scalar && !Nodes.isNull(scalar)) {
            return scalar.getValue();
        }
        error(keyNode, where, Nodes.describe(keyNode) + " as a key (expected: a plain name)");
        return null;
    }

    private static String reason(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        return e.getClass().getSimpleName();
    }

    /** How errors and the schema describe a type. */
    static String expected(Type type) {
        Class<?> raw = rawClass(type);
        if (raw == null) {
            return type.getTypeName();
        }
        if (raw.isRecord() && !ValueTypes.isScalar(raw)) {
            RecordComponent[] components = raw.getRecordComponents();
            return components.length == 0 ? "an empty map" : Arrays.stream(components)
                    .map(RecordComponent::getName).collect(Collectors.joining(", ", "a map with keys ", ""));
        }
        if (raw == List.class || raw == Set.class) {
            return "a list";
        }
        if (raw == Map.class) {
            return "a map";
        }
        if (raw == Secret.class) {
            return "env:NAME or file:PATH";
        }
        if (raw == Path.class) {
            return "a path";
        }
        ValueTypes.Scalar scalar = ValueTypes.scalar(raw);
        return scalar == null ? raw.getSimpleName() : scalar.expected();
    }

    /** The class of a type, or null for type variables and wildcards. */
    static Class<?> rawClass(Type type) {
        if (type instanceof Class<?> c) {
            return c;
        }
        if (type instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        return null;
    }

    /** The type arguments of a collection type, or null when it is raw or uses wildcards. */
    static Type[] elementTypesOf(Type type) {
        if (type instanceof ParameterizedType p
                && Arrays.stream(p.getActualTypeArguments()).allMatch(a -> rawClass(a) != null)) {
            return p.getActualTypeArguments();
        }
        return null;
    }
}
