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
        subcommands = {ConfigCommand.Validate.class, ConfigCommand.Schema.class, ConfigCommand.Status.class})
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

    /** {@code gatehouse config status}: the version each replica serves, through the admin API. */
    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Shows the config version the gateway serves (who applied it, when), its endpoints with"
                    + " the exchanges in flight, and the version of every replica on the same store.")
    static final class Status implements Callable<Integer> {

        @picocli.CommandLine.Mixin
        AuditAdminClient.Options options = new AuditAdminClient.Options();

        @Override
        public Integer call() throws Exception {
            AuditAdminClient client;
            com.fasterxml.jackson.databind.JsonNode body;
            try {
                client = AuditAdminClient.lenient(options, System::getenv);
                body = client.json("/admin/config");
            } catch (IllegalArgumentException | java.io.IOException | AuditAdminClient.AdminCallException e) {
                System.err.println("gatehouse config status: " + e.getMessage());
                return 2;
            }
            System.out.println("replica " + body.path("replica").asText() + " serves " + body.path("version").asText());
            System.out.println("  applied " + body.path("appliedAt").asText() + " by " + body.path("appliedBy").asText()
                    + " (" + body.path("trigger").asText() + ") from " + body.path("directory").asText()
                    + (body.path("draining").asBoolean() ? "; DRAINING" : ""));
            body.path("endpoints").forEach(e -> System.out.println("  endpoint " + e.path("id").asText() + ": "
                    + e.path("inFlight").asLong() + " in flight"));
            if (body.path("retiredInFlight").asLong() > 0) {
                System.out.println("  " + body.path("retiredInFlight").asLong()
                        + " exchange(s) still finishing on an earlier config");
            }
            System.out.println("replicas:");
            body.path("replicas").forEach(r -> System.out.println("  " + r.path("replica").asText() + "  "
                    + r.path("version").asText() + "  applied " + r.path("appliedAt").asText() + " by "
                    + r.path("appliedBy").asText() + (r.path("matchesThisReplica").asBoolean() ? "" : "  DIFFERS")));
            return 0;
        }
    }
}
