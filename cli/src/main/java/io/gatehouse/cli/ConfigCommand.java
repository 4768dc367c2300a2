package io.gatehouse.cli;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.SchemaGenerator;
import io.gatehouse.gateway.GatewayAssembly;
import io.gatehouse.gateway.plugin.ProcessorRegistry;
import java.nio.file.Path;
import java.util.Optional;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code gatehouse config validate DIR}. */
@Command(name = "config", description = "Work with config directories.",
        subcommands = {ConfigCommand.Validate.class, ConfigCommand.Schema.class})
final class ConfigCommand {

    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = "Checks a config directory: prints one line per error (file:line:col: where: what) "
                    + "and exits 1, or prints a summary and exits 0.")
    static final class Validate implements Callable<Integer> {

        @Parameters(index = "0", paramLabel = "DIR", description = "the config directory (holds gateway.yaml)")
        Path directory;

        @Override
        public Integer call() {
            GatewayAssembly.Loaded loaded = GatewayAssembly.load(directory, System::getenv);
            List<String> errors = loaded.errors();
            if (!errors.isEmpty()) {
                errors.forEach(System.err::println);
                System.err.println(errors.size() + (errors.size() == 1 ? " error" : " errors") + " in " + directory);
                return 1;
            }
            System.out.println(directory + ": valid (" + loaded.config().endpoints().size() + " endpoint(s): "
                    + String.join(", ", loaded.config().endpoints().stream().map(e -> e.path() != null ? e.id() + " " + e.path()
                            : e.id() + " (gRPC: " + String.join(", ", e.models()) + ")")
                    .toList()) + ")");
            return 0;
        }
    }

    @Command(name = "schema", mixinStandardHelpOptions = true,
            description = "Prints the JSON Schema of gateway.yaml and endpoint files for the steps this gateway "
                    + "knows (built-ins, plus the plugins of --config DIR). The published copy is "
                    + "config/schema/gatehouse.schema.json.")
    static final class Schema implements Callable<Integer> {

        @picocli.CommandLine.Option(names = "--config", paramLabel = "DIR",
                description = "also include the plugins of this config directory")
        Path directory;

        @Override
        public Integer call() {
            Optional<Path> plugins = directory == null ? Optional.empty() : ConfigLoader.pluginsDirectory(directory);
            ProcessorRegistry registry = ProcessorRegistry.load(Schema.class.getClassLoader(), plugins);
            System.out.print(published(registry));
            return 0;
        }

        /** The schema text exactly as published. */
        static String published(ProcessorRegistry registry) {
            String json = new SchemaGenerator(registry.configTypes(), registry.sectionTypes(),
                    registry.directoryTypes()).json();
            return json.endsWith("\n") ? json : json + "\n";
        }
    }
}
