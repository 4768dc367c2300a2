package io.gatehouse.config;

import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * Either a valid value (a whole {@link GatewayConfig}, or one record bound by {@link YamlFiles}) or a
 * non-empty list of errors, sorted by file, line and column.
 */
public final class LoadResult<T> {

    private final T value;
    private final List<ConfigError> errors;

    private LoadResult(T value, List<ConfigError> errors) {
        this.value = value;
        this.errors = errors;
    }

    public static <T> LoadResult<T> valid(T value) {
        return new LoadResult<>(Objects.requireNonNull(value, "value"), List.of());
    }

    /** @param errors at least one; they are sorted with {@link ConfigError#ORDER} */
    public static <T> LoadResult<T> invalid(List<ConfigError> errors) {
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("an invalid result needs at least one error");
        }
        return new LoadResult<>(null, errors.stream().sorted(ConfigError.ORDER).toList());
    }

    public boolean isValid() {
        return errors.isEmpty();
    }

    /** The errors, sorted; empty when valid. */
    public List<ConfigError> errors() {
        return errors;
    }

    /** One formatted line per error, sorted; empty when valid. */
    public List<String> formattedErrors() {
        return errors.stream().map(ConfigError::format).toList();
    }

    /**
     * The value.
     *
     * @throws InvalidConfigException listing every error, when invalid
     */
    public T orThrow() {
        if (!isValid()) {
            throw new InvalidConfigException(errors);
        }
        return value;
    }

    @Override
    public String toString() {
        return isValid() ? "LoadResult[valid " + value + "]"
                : errors.stream().map(ConfigError::format).collect(Collectors.joining("\n", "LoadResult[invalid\n", "]"));
    }
}
