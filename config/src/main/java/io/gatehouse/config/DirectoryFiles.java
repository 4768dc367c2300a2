package io.gatehouse.config;

import io.gatehouse.spi.ConfigFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * The sub-directories of a config directory that processor factories own ({@code policies/} …): each
 * {@code *.yaml} file bound strictly to its directory's record, every error collected with its
 * position. {@code policies/} with no factory to read it is an error for each file in it, so no one
 * believes a policy applies.
 */
final class DirectoryFiles {

    static final String POLICIES = "policies";

    private DirectoryFiles() {
    }

    /** Binds the files of every owned directory; reports the files of an unowned {@code policies/}. */
    static Map<String, List<ConfigFile<?>>> bind(Path configDirectory, Map<String, Class<? extends Record>> types,
                                                 Function<String, String> env, List<ConfigError> errors) {
        Map<String, List<ConfigFile<?>>> bound = new LinkedHashMap<>();
        types.forEach((name, type) -> bound.put(name, bindDirectory(configDirectory, name, type, env, errors)));
        if (!types.containsKey(POLICIES)) {
            for (Path f : files(configDirectory.resolve(POLICIES), POLICIES, errors)) {
                errors.add(new ConfigError(POLICIES + "/" + f.getFileName(), 1, 1, "",
                        "policy files need the 'policy' processor, which this gateway does not have"));
            }
        }
        return Collections.unmodifiableMap(bound);
    }

    private static List<ConfigFile<?>> bindDirectory(Path configDirectory, String name, Class<? extends Record> type,
                                                     Function<String, String> env, List<ConfigError> errors) {
        List<ConfigFile<?>> bound = new ArrayList<>();
        for (Path path : files(configDirectory.resolve(name), name, errors)) {
            String file = name + "/" + path.getFileName();
            int errorsBefore = errors.size();
            Node root = YamlFiles.compose(path, file, errors).orElse(null);
            if (root == null) {
                if (errors.size() == errorsBefore) {
                    errors.add(YamlFiles.emptyFile(file, type));
                }
                continue;
            }
            Record value = new RecordBinder(file, configDirectory, env, errors).bindRecord(root, type, Where.root(""));
            if (value != null) {
                bound.add(new ConfigFile<>(file, value, path1 -> locate(root, path1)));
            }
        }
        return List.copyOf(bound);
    }

    /** The YAML files of a directory, by name; none when it is absent. */
    private static List<Path> files(Path directory, String name, List<ConfigError> errors) {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(Files::isRegularFile)
                    .filter(f -> {
                        String n = f.getFileName().toString();
                        return !n.startsWith(".") && (n.endsWith(".yaml") || n.endsWith(".yml"));
                    })
                    .sorted()
                    .toList();
        } catch (IOException e) {
            errors.add(new ConfigError(name, 0, 0, "", "cannot list the directory (" + e + ")"));
            return List.of();
        }
    }

    /**
     * Line and column of {@code rules[2].endpoints[0]} in a composed file: the value of the deepest
     * segment that exists (a map value, or a list item).
     */
    static int[] locate(Node root, String fieldPath) {
        Node current = root;
        if (fieldPath != null && !fieldPath.isEmpty()) {
            for (String segment : fieldPath.split("\\.")) {
                String key = segment;
                List<Integer> indexes = new ArrayList<>();
                int bracket = segment.indexOf('[');
                if (bracket >= 0) {
                    key = segment.substring(0, bracket);
                    for (String i : segment.substring(bracket + 1).split("\\]\\[?")) {
                        if (!i.isEmpty()) {
                            indexes.add(Integer.parseInt(i.replace("]", "")));
                        }
                    }
                }
                Node next = key.isEmpty() ? current : value(current, key);
                if (next == null) {
                    break;
                }
                current = next;
                boolean found = true;
                for (int index : indexes) {
                    if (current instanceof SequenceNode seq && index < seq.getValue().size()) {
                        current = seq.getValue().get(index);
                    } else {
                        found = false;
                        break;
                    }
                }
                if (!found) {
                    break;
                }
            }
        }
        return new int[] {Nodes.line(current), Nodes.column(current)};
    }

    private static Node value(Node map, String key) {
        if (map instanceof MappingNode m) {
            for (NodeTuple t : m.getValue()) {
                if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
                    return t.getValueNode();
                }
            }
        }
        return null;
    }
}
