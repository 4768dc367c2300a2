package io.gatehouse.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code policies/*.yaml}: reserved for the policy processor, which this build does not have yet.
 * Until then every file there is an error, so no one believes a policy applies. The policy work
 * replaces this class.
 */
final class PolicyFiles {

    static final String DIRECTORY = "policies";
    static final String NOT_YET = "policy files need the 'policy' processor, which this build does not have yet";

    private PolicyFiles() {
    }

    static void check(Path configDirectory, List<ConfigError> errors) {
        Path policies = configDirectory.resolve(DIRECTORY);
        if (!Files.isDirectory(policies)) {
            return;
        }
        try (Stream<Path> files = Files.list(policies)) {
            files.filter(Files::isRegularFile)
                    .filter(f -> !f.getFileName().toString().startsWith("."))
                    .sorted()
                    .forEach(f -> errors.add(new ConfigError(DIRECTORY + "/" + f.getFileName(), 1, 1, "", NOT_YET)));
        } catch (IOException e) {
            errors.add(new ConfigError(DIRECTORY, 0, 0, "", "cannot list the directory (" + e + ")"));
        }
    }
}
