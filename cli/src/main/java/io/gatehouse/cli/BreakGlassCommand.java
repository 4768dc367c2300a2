package io.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gatehouse break-glass open|close|review|ack}: a responder opens (and closes) their break-glass
 * window; reviewers see the uses waiting for them and acknowledge each. Through the admin API, with the
 * caller's own token (docs/approvals.md, "Break-glass").
 */
@Command(name = "break-glass", mixinStandardHelpOptions = true,
        description = "Opens or closes your break-glass window; lists and acknowledges break-glass uses.",
        subcommands = {BreakGlassCommand.Open.class, BreakGlassCommand.Close.class, BreakGlassCommand.Review.class,
                BreakGlassCommand.Ack.class})
final class BreakGlassCommand {

    private static final ObjectMapper JSON = new ObjectMapper();

    private BreakGlassCommand() {
    }

    @Command(name = "open", mixinStandardHelpOptions = true,
            description = "Opens your break-glass window (members of breakGlass.groups): until it closes, your requests"
                    + " with a Gatehouse-Break-Glass: <justification> header may pass rules marked breakGlass: true.")
    static final class Open implements Callable<Integer> {
        @Mixin
        AuditAdminClient.Options connection = new AuditAdminClient.Options();

        @Option(names = "--reason", required = true, description = "why (kept in the audit trail, shown to reviewers)")
        String reason;

        @Option(names = "--for", paramLabel = "T", description = "how long, e.g. 30m (default and most: breakGlass.maxWindow)")
        String lasting;

        @Override
        public Integer call() throws Exception {
            ObjectNode body = JSON.createObjectNode().put("reason", reason);
            if (lasting != null) {
                body.put("for", lasting);
            }
            try {
                JsonNode w = ApprovalsCommand.Client.from(connection, System::getenv).post("/admin/break-glass/open",
                        body);
                System.out.println(w.path("id").asText() + ": open until " + w.path("expiresAt").asText()
                        + "; send Gatehouse-Break-Glass: <justification> with each request that must break glass;"
                        + " every use is recorded and reviewed");
                return 0;
            } catch (IllegalArgumentException | AuditAdminClient.AdminCallException | IOException e) {
                return ApprovalsCommand.fail(e.getMessage());
            }
        }
    }

    @Command(name = "close", mixinStandardHelpOptions = true, description = "Closes your break-glass window.")
    static final class Close implements Callable<Integer> {
        @Mixin
        AuditAdminClient.Options connection = new AuditAdminClient.Options();

        @Override
        public Integer call() throws Exception {
            try {
                JsonNode out = ApprovalsCommand.Client.from(connection, System::getenv).post("/admin/break-glass/close",
                        JSON.createObjectNode());
                System.out.println(out.path("closed").isNull() ? "no open window"
                        : out.path("closed").path("id").asText() + ": closed");
                return 0;
            } catch (IllegalArgumentException | AuditAdminClient.AdminCallException | IOException e) {
                return ApprovalsCommand.fail(e.getMessage());
            }
        }
    }

    @Command(name = "review", mixinStandardHelpOptions = true,
            description = "Lists break-glass uses waiting for acknowledgement (reviewers and auditors).")
    static final class Review implements Callable<Integer> {
        @Mixin
        AuditAdminClient.Options connection = new AuditAdminClient.Options();

        @Option(names = "--all", description = "acknowledged ones too")
        boolean all;

        @Option(names = "--json", description = "print the admin API's JSON")
        boolean json;

        @Override
        public Integer call() throws Exception {
            try {
                JsonNode out = ApprovalsCommand.Client.from(connection, System::getenv).get("/admin/break-glass/uses?status="
                        + URLEncoder.encode(all ? "all" : "waiting", StandardCharsets.UTF_8));
                if (json) {
                    System.out.println(out.toPrettyString());
                    return 0;
                }
                for (JsonNode u : out.path("uses")) {
                    System.out.println(u.path("id").asText() + "  " + u.path("at").asText() + "  "
                            + u.path("username").asText() + " passed " + u.path("bypassed").path("policy").asText() + "/"
                            + u.path("bypassed").path("rule").asText() + " on " + u.path("endpoint").asText()
                            + " (record " + u.path("recordId").asText() + "): " + u.path("justification").asText()
                            + (u.path("acknowledged").asBoolean() ? "  [acknowledged by "
                            + u.path("reviewer").asText() + "]" : "  [waiting]"));
                }
                System.out.println(out.path("count").asInt() + (all ? " use(s)" : " use(s) waiting for review"));
                return 0;
            } catch (IllegalArgumentException | AuditAdminClient.AdminCallException | IOException e) {
                return ApprovalsCommand.fail(e.getMessage());
            }
        }
    }

    @Command(name = "ack", mixinStandardHelpOptions = true,
            description = "Acknowledges a break-glass use after review (a reviewer, never for your own use).")
    static final class Ack implements Callable<Integer> {
        @Mixin
        AuditAdminClient.Options connection = new AuditAdminClient.Options();

        @Parameters(index = "0", paramLabel = "ID", description = "the use id (bgu-...)")
        String id;

        @Option(names = "--reason", required = true, description = "what you checked; kept in the audit trail")
        String reason;

        @Override
        public Integer call() throws Exception {
            if (!id.matches("[A-Za-z0-9._-]{1,64}")) {
                return ApprovalsCommand.fail("'" + id + "' is not a break-glass use id (bgu-...)");
            }
            try {
                JsonNode u = ApprovalsCommand.Client.from(connection, System::getenv).post("/admin/break-glass/uses/"
                        + id + "/acknowledge", JSON.createObjectNode().put("reason", reason));
                System.out.println(u.path("id").asText() + ": acknowledged by " + u.path("reviewer").asText());
                return 0;
            } catch (IllegalArgumentException | AuditAdminClient.AdminCallException | IOException e) {
                return ApprovalsCommand.fail(e.getMessage());
            }
        }
    }
}
