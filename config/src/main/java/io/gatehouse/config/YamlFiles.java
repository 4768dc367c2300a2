package io.gatehouse.config;

import io.gatehouse.spi.ConfigFile;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Reads YAML files (YAML 1.2: {@code no} and {@code yes} stay strings) and binds them strictly to
 * records, with every error positioned. Any record-typed file can be bound, e.g. the agent's
 * {@code agent.yaml}.
 */
public final class YamlFiles {

    private YamlFiles() {
    }

    /**
     * Binds one file to a record. Relative paths and {@code file:} secrets are resolved against the
     * file's directory; errors name the file by its file name.
     *
     * @param env environment lookup for {@code env:} secrets, e.g. {@code System::getenv}
     */
    public static <R extends Record> LoadResult<R> bind(Path file, Class<R> type, Function<String, String> env) {
        return bind(file, type, env, Map.of());
    }

    /**
     * As {@link #bind(Path, Class, Function)}, with nouns for the entries of top-level maps in errors:
     * {@code Map.of("services", "service")} makes an error read {@code service 'x' field 'port'}
     * instead of {@code field 'services.x.port'}.
     */
    public static <R extends Record> LoadResult<R> bind(Path file, Class<R> type, Function<String, String> env,
                                                        Map<String, String> labels) {
        Path absolute = file.toAbsolutePath().normalize();
        String name = absolute.getFileName().toString();
        List<ConfigError> errors = new ArrayList<>();
        R value = compose(absolute, name, errors)
                .map(root -> new RecordBinder(name, absolute.getParent(), env, errors)
                        .bindRecord(root, type, Where.root("", labels)))
                .orElse(null);
        if (value == null && errors.isEmpty()) {
            errors.add(emptyFile(name, type));
        }
        return errors.isEmpty() ? LoadResult.valid(value) : LoadResult.invalid(errors);
    }

    /**
     * Binds one file to a record and keeps where each field was written, for tools that report a finding
     * at a line of the file after it bound (a failing case of {@code policies/tests/*.yaml} names its
     * line). Errors name the file as {@code name}, e.g. {@code policies/tests/analysts.yaml}.
     */
    public static <R extends Record> LoadResult<ConfigFile<R>> bindLocated(Path file, String name, Class<R> type,
                                                                         Function<String, String> env) {
        Path absolute = file.toAbsolutePath().normalize();
        List<ConfigError> errors = new ArrayList<>();
        Node root = compose(absolute, name, errors).orElse(null);
        if (root == null) {
            if (errors.isEmpty()) {
                errors.add(emptyFile(name, type));
            }
            return LoadResult.invalid(errors);
        }
        R value = new RecordBinder(name, absolute.getParent(), env, errors).bindRecord(root, type, Where.root(""));
        return errors.isEmpty() && value != null
                ? LoadResult.valid(new ConfigFile<>(name, value, path -> DirectoryFiles.locate(root, path)))
                : LoadResult.invalid(errors);
    }

    /**
     * A composed YAML value as plain Java: maps, lists, strings, numbers, booleans, null (YAML 1.2 core
     * schema), for a record component of type {@link Node} that holds free-form data such as a request body.
     */
    public static Object plain(Node node) {
        if (node == null || Nodes.isNull(node)) {
            return null;
        }
        LoadSettings settings = LoadSettings.builder().setSchema(new CoreSchema()).build();
        return new org.snakeyaml.engine.v2.constructor.StandardConstructor(settings)
                .constructSingleDocument(Optional.of(node));
    }

    /**
     * The file's root node; empty when the file is missing, unreadable, not YAML (each reported) or
     * holds no document (not reported: the caller says what was expected).
     */
    static Optional<Node> compose(Path file, String name, List<ConfigError> errors) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            errors.add(new ConfigError(name, 0, 0, "", "file not found in " + file.getParent()));
            return Optional.empty();
        } catch (CharacterCodingException e) {
            errors.add(new ConfigError(name, 0, 0, "", "cannot read the file: it is not UTF-8"));
            return Optional.empty();
        } catch (IOException e) {
            errors.add(new ConfigError(name, 0, 0, "", "cannot read the file (" + e + ")"));
            return Optional.empty();
        }
        try {
            LoadSettings settings = LoadSettings.builder().setLabel(name).setSchema(new CoreSchema()).build();
            return new Compose(settings).composeString(text).filter(root -> !Nodes.isNull(root));
        } catch (MarkedYamlEngineException e) {
            Optional<Mark> mark = e.getProblemMark().or(e::getContextMark);
            String context = e.getContext() == null ? "" : e.getContext() + ": ";
            errors.add(new ConfigError(name, mark.map(m -> m.getLine() + 1).orElse(1),
                    mark.map(m -> m.getColumn() + 1).orElse(1), "", "invalid YAML: " + context + e.getProblem()));
        } catch (YamlEngineException e) {
            errors.add(new ConfigError(name, 1, 1, "", "invalid YAML: " + e.getMessage()));
        }
        return Optional.empty();
    }

    /** The error for a file that holds no document. */
    static ConfigError emptyFile(String name, Class<?> type) {
        return new ConfigError(name, 1, 1, "", "the file is empty (expected: " + RecordBinder.expected(type) + ")");
    }
}
