package io.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.config.GatewayConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gatehouse approvals list|show|approve|deny|cancel}: the approver's (and requester's) side of
 * approvals, through the admin API, with the caller's own OIDC token ({@code --token} or
 * {@code GATEHOUSE_TOKEN}).
 */
@Command(name = "approvals", mixinStandardHelpOptions = true,
        description = "Lists, approves, denies and cancels requests held for approval (through the admin API).",
        subcommands = {ApprovalsCommand.ListApprovals.class, ApprovalsCommand.Show.class,
                ApprovalsCommand.Approve.class, ApprovalsCommand.Deny.class, ApprovalsCommand.Cancel.class})
final class ApprovalsCommand {

    static final int FAILED = 2;
    private static final ObjectMapper JSON = new ObjectMapper();

    static int fail(String message) {
        System.err.println("gatehouse: " + message);
        return FAILED;
    }

    /** The admin API with the caller's token. */
    static final class Client {
        private final URI base;
        private final String token;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        Client(URI base, String token) {
            this.base = base;
            this.token = token;
        }

        /** @throws IllegalArgumentException naming what is missing (no token) or wrong (the config) */
        static Client from(AuditAdminClient.Options options, Function<String, String> env) {
            String token = options.token != null ? options.token : env.apply(AuditAdminClient.TOKEN_VARIABLE);
            if (token == null || token.isBlank()) {
                throw new IllegalArgumentException("no token: pass --token or set " + AuditAdminClient.TOKEN_VARIABLE
                        + " (your own OIDC access token)");
            }
            String admin = options.admin;
            if (admin == null && options.config != null) {
                GatewayConfig config = AuditAdminClient.loadConfig(options.config, env);
                String host = config.admin().host().contains(":") ? "[" + config.admin().host() + "]"
                        : config.admin().host();
                admin = "http://" + host + ":" + config.admin().port();
            }
            if (admin == null) {
                admin = "http://127.0.0.1:8081";
            }
            return new Client(URI.create(admin.endsWith("/") ? admin.substring(0, admin.length() - 1) : admin),
                    token.trim());
        }

        JsonNode get(String path) throws IOException, InterruptedException, AuditAdminClient.AdminCallException {
            return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
        }

        JsonNode post(String path, JsonNode body)
                throws IOException, InterruptedException, AuditAdminClient.AdminCallException {
            return send(HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8)));
        }

        private JsonNode send(HttpRequest.Builder request)
                throws IOException, InterruptedException, AuditAdminClient.AdminCallException {
            HttpResponse<String> response;
            try {
                response = http.send(request.timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token)
                        .header("Accept", "application/json").build(),
                        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (java.net.ConnectException e) {
                throw new IOException("cannot reach the admin API at " + base + " (is the gateway running?)", e);
            }
            if (response.statusCode() / 100 != 2) {
                String message = "the admin API answered " + response.statusCode();
                try {
                    JsonNode problem = JSON.readTree(response.body());
                    message += ": " + problem.path("title").asText() + ": " + problem.path("detail").asText();
                } catch (IOException notJson) {
                    // the status says enough
                }
                throw new AuditAdminClient.AdminCallException(response.statusCode(), message);
            }
            return JSON.readTree(response.body());
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Approvals you may see (yours, those you may decide, or all for auditors), newest first.")
    static final class ListApprovals implements Callable<Integer> {
        @Mixin
        AuditAdminClient.Options connection = new AuditAdminClient.Options();

        @Option(names = "--status", defaultValue = "pending",
                description = "pending, approved, denied, expired, cancelled, used or all (default: ${DEFAULT-VALUE})")
        String status;

        @Option(names = "--limit", defaultValue = "100", description = "at most this many (default: ${DEFAULT-VALUE})")
        int limit;

        @Option(names = "--json", description = "print the admin API's JSON")
        boolean json;

        @Override
        public Integer call() throws Exception {
            JsonNode answer;
            try {
                answer = Client.from(connection, System::getenv).get("/admin/approvals?status="
                        + URLEncoder.encode(status, StandardCharsets.UTF_8) + "&limit=" + limit);
            } catch (IllegalArgumentException | AuditAdminClient.AdminCallException | IOException e) {
                return fail(e.getMessage());
            }
            if (json) {
                System.out.println(answer.toPrettyString());
            } else {
                print(answer.path("approvals"), System.out);
            }
            return 0;
        }

        static void print(JsonNode approvals, PrintStream out) {
            String format = "%-36s  %-9s  %-12s  %-16s  %-5s  %-24s  %s%n";
            out.printf(format, "ID", "STATUS", "REQUESTER", "APPROVERS", "VOTES", "EXPIRES", "SUMMARY");
            for (JsonNode a : approvals) {
                StringBuilder groups = new StringBuilder();
                a.path("approverGroups").forEach(g -> groups.append(groups.length() == 0 ? "" : ",").append(g.asText()));
                out.printf(format, a.path("id").asText(), a.path("status").asText(),
                        a.path("requester").path("username").asText(), groups,
                        a.path("approvals").asInt() + "/" + a.path("approvalsNeeded").asInt(),
                        a.path("grantExpiresAt").isTextual() ? a.path("grantExpiresAt").asText()
                                : a.path("expiresAt").asText(), a.path("summary").asText());
            }
            out.println(approvals.size() + (approvals.size() == 1 ? " approval" : " approvals"));
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "One approval as JSON, with its votes.")
    static final class Show implements Callable<Integer> {
        @Mixin
        AuditAdminClient.Options connection = new AuditAdminClient.Options();

        @Parameters(index = "0", paramLabel = "ID", description = "the approval id (apr-...)")
        String id;

        @Override
        public Integer call() throws Exception {
            try {
                System.out.println(Client.from(connection, System::getenv).get("/admin/approvals/" + path(id))
                        .toPrettyString());
                return 0;
            } catch (IllegalArgumentException | AuditAdminClient.AdminCallException | IOException e) {
                return fail(e.getMessage());
            }
        }
    }

    /** approve and deny: one id, a reason. */
    abstract static class Decide implements Callable<Integer> {
        @Mixin
        AuditAdminClient.Options connection = new AuditAdminClient.Options();

        @Parameters(index = "0", paramLabel = "ID", description = "the approval id (apr-...)")
        String id;

        @Option(names = "--reason", required = true, description = "why; kept in the audit trail")
        String reason;

        abstract String action();

        ObjectNode body() {
            return JSON.createObjectNode().put("reason", reason);
        }

        String suffix(JsonNode after) {
            return "";
        }

        @Override
        public Integer call() throws Exception {
            JsonNode after;
            try {
                ObjectNode body = body();
                after = Client.from(connection, System::getenv).post("/admin/approvals/" + path(id) + "/" + action(),
                        body);
            } catch (IllegalArgumentException | AuditAdminClient.AdminCallException | IOException e) {
                return fail(e.getMessage());
            }
            System.out.println(after.path("id").asText() + ": " + after.path("status").asText() + " ("
                    + after.path("approvals").asInt() + " of " + after.path("approvalsNeeded").asInt()
                    + " approvals) " + after.path("summary").asText() + suffix(after));
            return 0;
        }
    }

    @Command(name = "approve", mixinStandardHelpOptions = true,
            description = "Approve a held request (you must be in one of its approver groups, and not its requester)."
                    + " For a quota overrun, --grant N --for T gives N more requests (or tokens) for T, within what"
                    + " the quota allows.")
    static final class Approve extends Decide {
        @Option(names = "--grant", paramLabel = "N",
                description = "grant this many uses (requests, or tokens of a token quota); default: all allowed")
        Integer grant;

        @Option(names = "--for", paramLabel = "T", description = "for this long, e.g. 30m, 1h (with --grant)")
        String lasting;

        @Override
        String action() {
            return "approve";
        }

        @Override
        ObjectNode body() {
            ObjectNode body = super.body();
            if (grant != null || lasting != null) {
                if (grant == null || lasting == null) {
                    throw new IllegalArgumentException("give --grant N and --for T together, e.g. --grant 100 --for 1h");
                }
                body.putObject("grant").put("amount", grant).put("for", lasting);
            }
            return body;
        }

        @Override
        String suffix(JsonNode after) {
            return grant == null || !after.path("grantExpiresAt").isTextual() ? ""
                    : "; granted " + after.path("maxUses").asInt() + " until " + after.path("grantExpiresAt").asText();
        }
    }

    @Command(name = "deny", mixinStandardHelpOptions = true, description = "Deny a held request; a denial is final.")
    static final class Deny extends Decide {
        @Override
        String action() {
            return "deny";
        }
    }

    @Command(name = "cancel", mixinStandardHelpOptions = true,
            description = "Withdraw your own held request or unused approval.")
    static final class Cancel implements Callable<Integer> {
        @Mixin
        AuditAdminClient.Options connection = new AuditAdminClient.Options();

        @Parameters(index = "0", paramLabel = "ID", description = "the approval id (apr-...)")
        String id;

        @Override
        public Integer call() throws Exception {
            JsonNode after;
            try {
                after = Client.from(connection, System::getenv).post("/admin/approvals/" + path(id) + "/cancel",
                        JSON.createObjectNode());
            } catch (IllegalArgumentException | AuditAdminClient.AdminCallException | IOException e) {
                return fail(e.getMessage());
            }
            System.out.println(after.path("id").asText() + ": " + after.path("status").asText());
            return 0;
        }
    }

    private static String path(String id) {
        if (!id.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("'" + id.replaceAll("[^ -~]", "?") + "' is not an approval id");
        }
        return id;
    }
}
