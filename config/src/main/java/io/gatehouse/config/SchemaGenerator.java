package io.gatehouse.config;

import io.gatehouse.spi.Secret;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * JSON Schema (draft 2020-12) of the config files, generated from the same records the loader binds:
 * {@code #/$defs/gateway} for {@code gateway.yaml} and {@code #/$defs/endpoint} for
 * {@code endpoints/*.yaml}, whose pipeline items are one single-key object per known step. Editors
 * pick one with e.g. {@code # yaml-language-server: $schema=gatehouse.schema.json#/$defs/endpoint}.
 */
public final class SchemaGenerator {

    public static final String DIALECT = "https://json-schema.org/draft/2020-12/schema";

    private final Map<String, Class<? extends Record>> stepConfigTypes;
    private final Map<String, Class<? extends Record>> sectionTypes;
    private final Map<String, Class<? extends Record>> directoryTypes;

    /** @param stepConfigTypes step id to its config record, as given to {@link ConfigLoader} */
    public SchemaGenerator(Map<String, Class<? extends Record>> stepConfigTypes) {
        this(stepConfigTypes, Map.of());
    }

    /**
     * @param stepConfigTypes step id to its config record, as given to {@link ConfigLoader}
     * @param sectionTypes    factory-owned top-level keys of gateway.yaml to their records
     */
    public SchemaGenerator(Map<String, Class<? extends Record>> stepConfigTypes,
                           Map<String, Class<? extends Record>> sectionTypes) {
        this(stepConfigTypes, sectionTypes, Map.of());
    }

    /**
     * @param stepConfigTypes step id to its config record, as given to {@link ConfigLoader}
     * @param sectionTypes    factory-owned top-level keys of gateway.yaml to their records
     * @param directoryTypes  factory-owned config sub-directories to their files' record: each gets
     *                        {@code #/$defs/<directory>}, e.g. {@code #/$defs/policies}
     */
    public SchemaGenerator(Map<String, Class<? extends Record>> stepConfigTypes,
                           Map<String, Class<? extends Record>> sectionTypes,
                           Map<String, Class<? extends Record>> directoryTypes) {
        this.stepConfigTypes = new TreeMap<>(stepConfigTypes);
        this.sectionTypes = new TreeMap<>(sectionTypes);
        this.directoryTypes = new TreeMap<>(directoryTypes);
    }

    /** The schema as nested maps and lists, in a stable order. */
    public Map<String, Object> schema() {
        Map<String, Object> endpoint = schemaOf(EndpointYaml.class, false);
        properties(endpoint).put("pipeline", pipeline());
        Map<String, Object> defs = new LinkedHashMap<>();
        Map<String, Object> gateway = schemaOf(GatewayYaml.class, false);
        if (stepConfigTypes.containsKey("auth")) { // admin.auth is bound to the auth step's record
            @SuppressWarnings("unchecked")
            Map<String, Object> admin = (Map<String, Object>) properties(gateway).get("admin");
            properties(admin).put("auth", schemaOf(stepConfigTypes.get("auth"), true));
        }
        sectionTypes.forEach((key, type) -> properties(gateway).put(key, schemaOf(type, true)));
        defs.put("gateway", withTitle("gateway.yaml", gateway));
        defs.put("endpoint", withTitle("endpoints/*.yaml", endpoint));
        directoryTypes.forEach((name, type) -> defs.put(name, withTitle(name + "/*.yaml", schemaOf(type, false))));
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("$schema", DIALECT);
        schema.put("title", "Gatehouse config");
        schema.put("description", "Use #/$defs/gateway for gateway.yaml and #/$defs/endpoint for endpoints/*.yaml.");
        schema.put("$defs", defs);
        return schema;
    }

    /** {@link #schema()} as pretty-printed JSON, ending with a newline. */
    public String json() {
        return Json.write(schema());
    }

    private Map<String, Object> pipeline() {
        List<Object> steps = new ArrayList<>();
        stepConfigTypes.forEach((id, type) -> {
            Map<String, Object> step = new LinkedHashMap<>();
            step.put("type", "object");
            step.put("properties", Map.of(id, schemaOf(type, true)));
            step.put("required", List.of(id));
            step.put("additionalProperties", false);
            steps.add(step);
        });
        Map<String, Object> pipeline = new LinkedHashMap<>();
        pipeline.put("type", "array");
        pipeline.put("description", "The steps in request order, each '- <step id>: {config}'.");
        if (steps.isEmpty()) {
            pipeline.put("maxItems", 0);
        } else {
            pipeline.put("items", Map.of("oneOf", steps));
        }
        return pipeline;
    }

    /** @param emptyAllowed a record written as an empty value binds as {@code {}}, so null is allowed */
    private static Map<String, Object> schemaOf(Type type, boolean emptyAllowed) {
        Class<?> raw = RecordBinder.rawClass(type);
        Map<String, Object> s = new LinkedHashMap<>();
        if (raw == null) {
            throw new IllegalArgumentException("config records cannot use " + type.getTypeName());
        }
        if (raw.isRecord() && !ValueTypes.isScalar(raw)) {
            s.put("type", emptyAllowed ? List.of("object", "null") : "object");
            Map<String, Object> properties = new LinkedHashMap<>();
            List<String> required = new ArrayList<>();
            for (RecordComponent c : raw.getRecordComponents()) {
                properties.put(c.getName(), schemaOf(c.getGenericType(), false));
                if (c.getType().isPrimitive()) {
                    required.add(c.getName());
                }
            }
            s.put("properties", properties);
            if (!required.isEmpty()) {
                s.put("required", required);
            }
            s.put("additionalProperties", false);
        } else if (raw == List.class || raw == Set.class) {
            s.put("type", "array");
            s.put("items", schemaOf(elementType(type, 0), true));
            if (raw == Set.class) {
                s.put("uniqueItems", true);
            }
        } else if (raw == Map.class) {
            s.put("type", "object");
            s.put("additionalProperties", schemaOf(elementType(type, 1), true));
        } else if (raw == Secret.class) {
            s.put("type", "string");
            s.put("pattern", ValueTypes.SECRET_PATTERN);
            s.put("description", "a secret reference, env:NAME or file:PATH; never the value");
        } else if (raw == Path.class || raw == String.class) {
            s.put("type", "string");
        } else if (raw.isEnum()) {
            s.put("type", "string");
            s.put("enum", List.of(ValueTypes.enumExpected(raw).split("\\|")));
        } else if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class) {
            s.put("type", "integer");
        } else if (raw == double.class || raw == Double.class) {
            s.put("type", "number");
        } else if (raw == boolean.class || raw == Boolean.class) {
            s.put("type", "boolean");
        } else if (raw == java.time.Duration.class) {
            s.put("type", "string");
            s.put("pattern", ValueTypes.DURATION_PATTERN);
            s.put("description", ValueTypes.DURATION_EXPECTED + ", or ISO-8601 like PT30S");
        } else if (raw == io.gatehouse.spi.ByteSize.class) {
            s.put("type", List.of("integer", "string"));
            s.put("minimum", 0);
            s.put("pattern", ValueTypes.SIZE_PATTERN);
            s.put("description", ValueTypes.SIZE_EXPECTED);
        } else if (raw == java.net.URI.class) {
            s.put("type", "string");
            s.put("format", "uri-reference");
        } else if (raw == org.snakeyaml.engine.v2.nodes.Node.class) {
            return s; // bound later; the caller describes it
        } else {
            throw new IllegalArgumentException("config records cannot use " + type.getTypeName());
        }
        return s;
    }

    private static Type elementType(Type type, int index) {
        Type[] arguments = RecordBinder.elementTypesOf(type);
        if (arguments == null) {
            throw new IllegalArgumentException("config records cannot use " + type.getTypeName());
        }
        return arguments[index];
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> properties(Map<String, Object> recordSchema) {
        return (Map<String, Object>) recordSchema.get("properties");
    }

    private static Map<String, Object> withTitle(String title, Map<String, Object> schema) {
        Map<String, Object> titled = new LinkedHashMap<>();
        titled.put("title", title);
        titled.putAll(schema);
        return titled;
    }
}
