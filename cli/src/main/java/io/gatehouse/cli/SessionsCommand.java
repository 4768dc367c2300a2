package io.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gatehouse sessions list|show|replay|replay-diff}: reads recordings through the admin API, with the
 * caller's own token ({@code --token} or {@code GATEHOUSE_TOKEN}); the admin API records the
 * query too.
 */
@Command(name = "sessions", mixinStandardHelpOptions = true,
        description = "Lists, shows and replays recorded exchanges (through the admin API).",
        subcommands = {SessionsCommand.ListSessions.class, SessionsCommand.Show.class, SessionsCommand.Replay.class,
                ReplayDiffCommand.class})
final class SessionsCommand {

    /** Exit code when the admin API or the arguments refuse. */
    static final int FAILED = 2;

    static int fail(String message) {
        System.err.println("gatehouse: " + message);
        return FAILED;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Recorded exchanges, newest first.")
    static final class ListSessions implements Callable<Integer> {
        @Mixin
        AuditAdminClient.Options connection = new AuditAdminClient.Options();

        @Option(names = "--user", description = "only this user (preferred_username)")
        String user;

        @Option(names = "--endpoint", description = "only this endpoint")
        String endpoint;

        @Option(names = "--since", description = "only since: 90s, 15m, 1h, 7d, an instant or a date")
        String since;

        @Option(names = "--decision",
                description = "allowed, denied, held, responded, failed, client-gone, incomplete or open")
        String decision;

        @Option(names = "--session", description = "only this session id")
        String session;

        @Option(names = "--limit", defaultValue = "100", description = "at most this many (default: ${DEFAULT-VALUE})")
        int limit;

        @Option(names = "--json", description = "print the admin API's JSON")
        boolean json;

        @Override
        public Integer call() throws Exception {
            AuditAdminClient client;
            try {
                client = AuditAdminClient.from(connection, System::getenv);
            } catch (IllegalArgumentException e) {
                return fail(e.getMessage());
            }
            Map<String, String> params = new LinkedHashMap<>();
            params.put("user", user);
            params.put("endpoint", endpoint);
            params.put("since", since);
            params.put("decision", decision);
            params.put("session", session);
            params.put("limit", Integer.toString(limit));
            JsonNode answer;
            try {
                answer = client.json("/admin/sessions" + AuditAdminClient.query(params));
            } catch (AuditAdminClient.AdminCallException | java.io.IOException e) {
                return fail(e.getMessage());
            }
            if (json) {
                System.out.println(answer.toPrettyString());
                return 0;
            }
            print(answer.path("sessions"), System.out);
            return 0;
        }

        static void print(JsonNode sessions, PrintStream out) {
            String format = "%-24s  %-36s  %-12s  %-10s  %-12s  %-14s  %-11s  %6s  %7s%n";
            out.printf(format, "TIME", "RECORD", "USER", "ENDPOINT", "OPERATION", "MODEL", "DECISION", "STATUS", "MS");
            for (JsonNode s : sessions) {
                out.printf(format, s.path("time").asText(), s.path("recordId").asText(), text(s, "username"),
                        text(s, "endpoint"), text(s, "operation"), text(s, "model"), text(s, "decision"),
                        text(s, "status"), text(s, "durationMs"));
            }
            out.println(sessions.size() + (sessions.size() == 1 ? " exchange" : " exchanges"));
        }

        private static String text(JsonNode node, String field) {
            JsonNode v = node.get(field);
            return v == null || v.isNull() ? "-" : v.asText();
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "One exchange's full record as JSON.")
    static final class Show implements Callable<Integer> {
        @Mixin
        AuditAdminClient.Options connection = new AuditAdminClient.Options();

        @Parameters(index = "0", paramLabel = "ID",
                description = "the record id (the Gatehouse-Request-Id the client saw) or <replica>:<seq>")
        String id;

        @Override
        public Integer call() throws Exception {
            try {
                AuditAdminClient client = AuditAdminClient.from(connection, System::getenv);
                System.out.println(client.json("/admin/sessions/" + id).toPrettyString());
                return 0;
            } catch (IllegalArgumentException | AuditAdminClient.AdminCallException | java.io.IOException e) {
                return fail(e.getMessage());
            }
        }
    }

    @Command(name = "replay", mixinStandardHelpOptions = true,
            description = "Plays an exchange back: the request, then the response, streamed chunks with their"
                    + " original timing.")
    static final class Replay implements Callable<Integer> {
        @Mixin
        AuditAdminClient.Options connection = new AuditAdminClient.Options();

        @Parameters(index = "0", paramLabel = "ID", description = "the record id or <replica>:<seq>")
        String id;

        @Option(names = "--fast", description = "no pauses between chunks")
        boolean fast;

        @Override
        public Integer call() throws Exception {
            JsonNode replay;
            try {
                AuditAdminClient client = AuditAdminClient.from(connection, System::getenv);
                replay = client.json("/admin/sessions/" + id + "/replay");
            } catch (IllegalArgumentException | AuditAdminClient.AdminCallException | java.io.IOException e) {
                return fail(e.getMessage());
            }
            play(replay, System.out, fast);
            return 0;
        }

        static void play(JsonNode replay, PrintStream out, boolean fast) throws InterruptedException {
            out.println("# record " + replay.path("recordId").asText() + ", endpoint " + replay.path("endpoint").asText()
                    + ", " + replay.path("startTime").asText());
            JsonNode request = replay.path("request");
            String query = request.path("query").asText("");
            out.println("> " + request.path("method").asText() + " " + request.path("path").asText()
                    + (query.isEmpty() ? "" : "?" + query));
            headers(request.path("headers"), "> ", out);
            out.println(">");
            body(request.path("body"), out);
            JsonNode response = replay.path("response");
            if (response.isMissingNode() || response.isNull()) {
                out.println("# no response: " + replay.path("decision").asText());
                out.flush();
                return;
            }
            out.println("< " + response.path("status").asText());
            headers(response.path("headers"), "< ", out);
            out.println("<");
            JsonNode body = response.path("body");
            if (body.has("chunks")) {
                long previous = 0;
                for (JsonNode chunk : body.path("chunks")) {
                    long at = chunk.path("atMs").asLong();
                    if (!fast && at > previous) {
                        out.flush();
                        Thread.sleep(Math.min(60_000, at - previous));
                    }
                    previous = Math.max(previous, at);
                    out.print(chunkText(chunk));
                }
                out.println();
            } else {
                body(body, out);
            }
            out.println("# " + replay.path("decision").asText() + (replay.path("complete").asBoolean()
                    ? ", complete" : ", incomplete") + (body.path("truncated").asBoolean()
                    ? "; the record keeps " + "the first bytes only (size " + body.path("size").asLong() + ")" : ""));
            out.flush();
        }

        private static void headers(JsonNode headers, String prefix, PrintStream out) {
            for (Iterator<Map.Entry<String, JsonNode>> it = headers.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> h = it.next();
                for (JsonNode v : h.getValue()) {
                    out.println(prefix + h.getKey() + ": " + v.asText());
                }
            }
        }

        private static void body(JsonNode body, PrintStream out) {
            if (body.has("text")) {
                String text = body.path("text").asText();
                if (!text.isEmpty()) {
                    out.println(text);
                }
            } else if (body.has("base64")) {
                out.println("[" + Base64.getDecoder().decode(body.path("base64").asText()).length + " bytes of binary]");
            }
            if (body.path("truncated").asBoolean()) {
                out.println("[... cut: " + body.path("size").asLong() + " bytes in all]");
            }
        }

        private static String chunkText(JsonNode chunk) {
            if (chunk.has("text")) {
                return chunk.path("text").asText();
            }
            byte[] bytes = Base64.getDecoder().decode(chunk.path("base64").asText(""));
            String text = new String(bytes, StandardCharsets.UTF_8);
            return text.chars().allMatch(c -> c >= 0x20 || c == '\n' || c == '\r' || c == '\t') ? text
                    : "[" + bytes.length + " bytes of binary]";
        }
    }
}
