package io.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.gateway.admin.Since;
import io.gatehouse.gateway.services.GatewayServicesAssembly;
import io.gatehouse.store.Store;
import io.gatehouse.store.StoreException;
import io.gatehouse.store.audit.AuditQuery;
import io.gatehouse.store.audit.AuditVerifier;
import io.gatehouse.store.audit.TrustedKeys;
import io.gatehouse.store.audit.VerifyReport;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code gatehouse audit verify|export|public-key}: checks the audit chains of the store named by
 * {@code --config}, exports them as JSON Lines, prints the replica's public audit key.
 *
 * <p>They read the store directly. The embedded H2 store is locked while its gateway runs; then
 * {@code verify} and {@code export} ask the running gateway's admin API instead (with
 * {@code --token} or {@code GATEHOUSE_TOKEN}).
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
        description = "Verifies and exports the tamper-evident audit trail.",
        subcommands = {AuditCommand.Verify.class, AuditCommand.Export.class, AuditCommand.PublicKey.class})
final class AuditCommand {

    static final int TAMPERED = 1;
    static final int FAILED = 2;

    /** True when the embedded store is locked by a running gateway. */
    static boolean lockedByTheGateway(StoreException e) {
        String message = Store.rootMessage(e);
        // H2 reports a store held by another process either as "already in use" (90020) or, from
        // its MVStore layer, as "The file is locked" (seen with a running `./gatehouse demo`).
        return message.contains("already in use") || message.contains("90020") || message.contains("file is locked");
    }

    static Path publicKeyFile(GatewayConfig config) {
        return config.dataDirectory().resolve("audit").resolve("audit-key.pub.pem");
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Checks every chain and checkpoint; names the first event that was modified, deleted,"
                    + " inserted or reordered. Exit 0 intact, 1 tampered, 2 could not check.")
    static final class Verify implements Callable<Integer> {
        @Mixin
        AuditAdminClient.Options connection = new AuditAdminClient.Options();

        @Option(names = "--key", paramLabel = "FILE",
                description = "a replica's public audit key (PEM) to trust; repeatable. This gateway's own key is"
                        + " trusted without it")
        List<Path> keys = new ArrayList<>();

        @Override
        public Integer call() {
            return verify(connection, keys, System::getenv);
        }
    }

    static int verify(AuditAdminClient.Options connection, List<Path> keys, Function<String, String> env) {
        if (connection.config == null) {
            return SessionsCommand.fail("audit verify needs --config DIR (the gateway's config directory)");
        }
        GatewayConfig config;
        try {
            config = AuditAdminClient.loadConfig(connection.config, env);
        } catch (IllegalArgumentException e) {
            return SessionsCommand.fail(e.getMessage());
        }
        try (Store store = Store.open(GatewayServicesAssembly.storeSettings(config.store()));
             Connection c = store.connection()) {
            TrustedKeys trusted = TrustedKeys.none();
            if (Files.exists(publicKeyFile(config))) {
                trusted.pin(publicKeyFile(config));
            }
            for (Path key : keys) {
                trusted.pin(key);
            }
            VerifyReport report = AuditVerifier.verify(c, trusted.withStoreKeys(c));
            System.out.println(report.describe());
            System.out.println(report.ok() ? "audit verify: OK" : "audit verify: FAILED");
            return report.ok() ? 0 : TAMPERED;
        } catch (StoreException e) {
            if (!lockedByTheGateway(e)) {
                return SessionsCommand.fail(e.getMessage());
            }
            System.err.println("gatehouse: the store is in use by the running gateway; asking its admin API");
            return verifyThroughAdmin(connection, env);
        } catch (Exception e) {
            return SessionsCommand.fail("audit verify failed: " + e.getMessage());
        }
    }

    private static int verifyThroughAdmin(AuditAdminClient.Options connection, Function<String, String> env) {
        try {
            JsonNode answer = AuditAdminClient.from(connection, env).json("/admin/audit/verify");
            System.out.println(answer.path("report").asText());
            boolean ok = answer.path("ok").asBoolean();
            System.out.println(ok ? "audit verify: OK" : "audit verify: FAILED");
            return ok ? 0 : TAMPERED;
        } catch (Exception e) {
            return SessionsCommand.fail(e.getMessage());
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Writes every audit event (since --since) as JSON Lines, oldest first, for a SIEM.")
    static final class Export implements Callable<Integer> {
        @Mixin
        AuditAdminClient.Options connection = new AuditAdminClient.Options();

        @Option(names = "--since", description = "90s, 15m, 1h, 7d, an instant or a date (default: everything)")
        String since;

        @Option(names = "--out", paramLabel = "FILE", description = "write here instead of standard output")
        Path out;

        @Override
        public Integer call() throws Exception {
            if (connection.config == null) {
                return SessionsCommand.fail("audit export needs --config DIR (the gateway's config directory)");
            }
            Instant from;
            try {
                from = since == null ? null : Since.parse(since, Clock.systemUTC());
            } catch (IllegalArgumentException e) {
                return SessionsCommand.fail("--since: " + e.getMessage());
            }
            GatewayConfig config;
            try {
                config = AuditAdminClient.loadConfig(connection.config, System::getenv);
            } catch (IllegalArgumentException e) {
                return SessionsCommand.fail(e.getMessage());
            }
            try (Writer writer = writer()) {
                try (Store store = Store.open(GatewayServicesAssembly.storeSettings(config.store()))) {
                    long lines = new AuditQuery(store).export(from, writer);
                    System.err.println("gatehouse: exported " + lines + " audit events");
                    return 0;
                } catch (StoreException e) {
                    if (!lockedByTheGateway(e)) {
                        return SessionsCommand.fail(e.getMessage());
                    }
                    System.err.println("gatehouse: the store is in use by the running gateway; asking its admin API");
                    String text = AuditAdminClient.from(connection, System::getenv).text("/admin/audit/export"
                            + AuditAdminClient.query(java.util.Collections.singletonMap("since",
                            from == null ? null : from.toString())));
                    writer.write(text);
                    return 0;
                }
            } catch (AuditAdminClient.AdminCallException | IllegalArgumentException | java.io.IOException e) {
                return SessionsCommand.fail(e.getMessage());
            }
        }

        private Writer writer() throws java.io.IOException {
            return out == null ? new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8))
                    : Files.newBufferedWriter(out, StandardCharsets.UTF_8);
        }
    }

    @Command(name = "public-key", mixinStandardHelpOptions = true,
            description = "Prints this gateway's public audit key (PEM), for auditors to pin with verify --key.")
    static final class PublicKey implements Callable<Integer> {
        @Option(names = "--config", required = true, paramLabel = "DIR", description = "the gateway's config directory")
        Path config;

        @Override
        public Integer call() throws Exception {
            GatewayConfig loaded;
            try {
                loaded = AuditAdminClient.loadConfig(config, System::getenv);
            } catch (IllegalArgumentException e) {
                return SessionsCommand.fail(e.getMessage());
            }
            Path file = publicKeyFile(loaded);
            if (!Files.exists(file)) {
                return SessionsCommand.fail("no audit key yet in " + file.getParent()
                        + ": the gateway creates it when it first starts");
            }
            System.out.print(Files.readString(file, StandardCharsets.UTF_8));
            return 0;
        }
    }

    private AuditCommand() {
    }
}
