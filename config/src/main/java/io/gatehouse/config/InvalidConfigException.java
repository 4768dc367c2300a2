package io.gatehouse.config;

import java.util.List;
import java.util.stream.Collectors;

/** The config has errors; the message lists every one, one formatted line each. */
public final class InvalidConfigException extends RuntimeException {

    private final transient List<ConfigError> errors;

    public InvalidConfigException(List<ConfigError> errors) {
        super(errors.stream().map(ConfigError::format)
                .collect(Collectors.joining("\n", "invalid config (" + errors.size() + (errors.size() == 1 ? " error" : " errors") + "):\n", "")));
        this.errors = List.copyOf(errors);
    }

    public List<ConfigError> errors() {
        return errors;
    }
}
