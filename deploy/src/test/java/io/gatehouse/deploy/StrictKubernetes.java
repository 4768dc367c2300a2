package io.gatehouse.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads rendered manifests into the fabric8 Kubernetes API classes, strictly: the classes keep a field they do
 * not know in {@code additionalProperties} (the API server would prune or refuse it), so every object reached
 * from a resource is walked and any such field is an error naming its path. A kind from an API group these
 * classes cover must not come back as a {@link GenericKubernetesResource}.
 */
final class StrictKubernetes {

    /** API groups (apiVersion) read into typed classes; anything else is an error unless listed as a CRD. */
    static final Set<String> TYPED_API_VERSIONS = Set.of("v1", "apps/v1", "policy/v1", "autoscaling/v2",
            "networking.k8s.io/v1", "monitoring.coreos.com/v1");

    private static final ObjectMapper JSON = new ObjectMapper();
    /** fabric8 8 binds with Jackson 3; its deserializer picks the class from apiVersion and kind. */
    private static final tools.jackson.databind.json.JsonMapper KUBERNETES = tools.jackson.databind.json.JsonMapper
            .builder()
            .addModule(new tools.jackson.databind.module.SimpleModule()
                    .addDeserializer(KubernetesResource.class, new io.fabric8.kubernetes.internal.KubernetesDeserializer()))
            .build();
    private static final YAMLMapper YAML = new YAMLMapper(new YAMLFactory());

    private StrictKubernetes() {
    }

    /** The documents of a YAML stream, empty ones left out. */
    static List<JsonNode> documents(String yaml) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (var parser = YAML.getFactory().createParser(yaml)) {
            var it = YAML.readValues(parser, JsonNode.class);
            while (it.hasNext()) {
                JsonNode doc = it.next();
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }

    /** One document as its API class; throws naming every unknown field. */
    static HasMetadata read(JsonNode document) {
        String where = document.path("kind").asText() + " " + document.path("metadata").path("namespace").asText("")
                + "/" + document.path("metadata").path("name").asText();
        KubernetesResource resource;
        try {
            resource = KUBERNETES.readValue(JSON.writeValueAsString(document), KubernetesResource.class);
        } catch (IOException | tools.jackson.core.JacksonException e) {
            throw new IllegalArgumentException(where + ": not a valid Kubernetes object: " + e.getMessage(), e);
        }
        if (!(resource instanceof HasMetadata object)) {
            throw new IllegalArgumentException(where + ": not a Kubernetes object (" + resource.getClass() + ")");
        }
        if (object instanceof GenericKubernetesResource) {
            if (TYPED_API_VERSIONS.contains(object.getApiVersion())) {
                throw new IllegalArgumentException(where + ": kind " + object.getKind() + " does not exist in "
                        + object.getApiVersion());
            }
            return object;
        }
        List<String> unknown = new ArrayList<>();
        walk(object, where, unknown, new IdentityHashMap<>());
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown field(s) in " + String.join(", ", unknown));
        }
        return object;
    }

    private static void walk(Object value, String path, List<String> unknown, IdentityHashMap<Object, Boolean> seen) {
        if (value == null || seen.put(value, Boolean.TRUE) != null) {
            return;
        }
        if (value instanceof Collection<?> list) {
            int i = 0;
            for (Object item : list) {
                walk(item, path + "[" + i++ + "]", unknown, seen);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((k, v) -> walk(v, path + "." + k, unknown, seen));
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : value.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || !m.getName().startsWith("get")
                    || m.getDeclaringClass() == Object.class || m.getReturnType().isPrimitive()
                    || m.getReturnType() == String.class) {
                continue;
            }
            Object child;
            try {
                child = m.invoke(value);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue;
            }
            String name = Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
            if (name.equals("additionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    extra.keySet().forEach(k -> unknown.add(path + "." + k));
                }
                continue;
            }
            walk(child, path + "." + name, unknown, seen);
        }
    }
}
