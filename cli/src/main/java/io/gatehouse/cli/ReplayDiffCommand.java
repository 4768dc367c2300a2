package io.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code gatehouse sessions replay-diff ID --service S} and its batch form (no ID, the filters of
 * {@code sessions list}): re-sends recorded requests through the agent to another model service, through the
 * admin API ({@code POST /admin/replay-diff}), and prints the two answers' diff. Needs the replay right.
 */
@Command(name = "replay-diff", mixinStandardHelpOptions = true,
        description = {"Re-sends a recorded request (as stored) to another model service and diffs the answers;"
                + " without ID, every exchange the filters select (as for 'sessions list'), with a summary.",
                "Exit: 0 all the same, 1 some answer differs, 2 a replay failed or was refused (incomplete or masked"
                        + " body), or the admin API refused."})
final class ReplayDiffCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    AuditAdminClient.Options connection = new AuditAdminClient.Options();

    @Parameters(index = "0", arity = "0..1", paramLabel = "ID",
            description = "the record id (Gatehouse-Request-Id); omit it for the batch form")
    String id;

    @Option(names = "--service", required = true, description = "the agent's service to replay to, e.g. shadow-model")
    String service;

    @Option(names = "--agent", description = "the agent to send through (default: the recorded endpoint's)")
    String agent;

    @Option(names = "--ignore", split = ",", paramLabel = "POINTER",
            description = "JSON Pointers left out of the JSON comparison ('*' = every element); default /id,"
                    + " /created, /system_fingerprint, /created_at; 'none' compares everything")
    List<String> ignore;

    @Option(names = "--timeout", description = "seconds to wait for each replayed answer (default 120)")
    Integer timeout;

    @Option(names = "--user", description = "batch: only this user")
    String user;

    @Option(names = "--group", description = "batch: only callers in this group")
    String group;

    @Option(names = "--endpoint", description = "batch: only this endpoint")
    String endpoint;

    @Option(names = "--model", description = "batch: only this model")
    String model;

    @Option(names = "--since", description = "batch: only since: 90s, 15m, 1h, 7d, an instant or a date")
    String since;

    @Option(names = "--until", description = "batch: only until")
    String until;

    @Option(names = "--decision", description = "batch: only this decision (default allowed: only forwarded"
            + " requests can be replayed)")
    String decision;

    @Option(names = "--session", description = "batch: only this session id")
    String session;

    @Option(names = "--before", description = "batch: the next page (the 'next' a previous batch printed)")
    String before;

    @Option(names = "--limit", description = "batch: at most this many (default 20, at most 100)")
    Integer limit;

    @Option(names = "--json", description = "print the admin API's JSON")
    boolean json;

    @Override
    public Integer call() throws Exception {
        AuditAdminClient client;
        try {
            client = AuditAdminClient.from(connection, System::getenv);
        } catch (IllegalArgumentException e) {
            return SessionsCommand.fail(e.getMessage());
        }
        Map<String, String> params = new LinkedHashMap<>();
        params.put("service", service);
        params.put("agent", agent);
        params.put("ignore", ignore == null ? null : String.join(",", ignore));
        params.put("timeout", timeout == null ? null : timeout.toString());
        if (id == null) {
            params.put("user", user);
            params.put("group", group);
            params.put("endpoint", endpoint);
            params.put("model", model);
            params.put("since", since);
            params.put("until", until);
            params.put("decision", decision);
            params.put("session", session);
            params.put("before", before);
            params.put("limit", limit == null ? null : limit.toString());
        } else if (user != null || group != null || endpoint != null || model != null || since != null
                || until != null || decision != null || session != null || limit != null || before != null) {
            return SessionsCommand.fail("filters (--user, --endpoint, --since ...) are for the batch form: give"
                    + " either an ID or filters");
        }
        HttpResponse<String> response;
        try {
            response = client.send("POST", "/admin/replay-diff" + (id == null ? "" : "/" + id)
                    + AuditAdminClient.query(params));
        } catch (IOException e) {
            return SessionsCommand.fail(e.getMessage());
        }
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException notJson) {
            return SessionsCommand.fail("the admin API answered " + response.statusCode() + ": " + response.body());
        }
        if (json) {
            System.out.println(body.toPrettyString());
        } else if (response.statusCode() / 100 != 2) {
            System.err.println("gatehouse: the admin API answered " + response.statusCode() + ": "
                    + body.path("title").asText() + ": " + body.path("detail").asText());
            if (body.has("maskedFields") && body.path("maskedFields").size() > 0) {
                System.err.println("masked fields: " + join(body.path("maskedFields")));
            }
            if (body.has("replayRecordId")) {
                System.err.println("replay recorded as " + body.path("replayRecordId").asText());
            }
        } else if (id == null) {
            printBatch(body, System.out);
        } else {
            printOne(body, System.out);
        }
        if (response.statusCode() / 100 != 2) {
            return SessionsCommand.FAILED;
        }
        if (id == null) {
            JsonNode summary = body.path("summary");
            return summary.path("failed").asInt() > 0 ? SessionsCommand.FAILED
                    : summary.path("different").asInt() > 0 ? 1 : 0;
        }
        return body.path("outcome").asText().equals("same") ? 0 : 1;
    }

    static void printOne(JsonNode r, PrintStream out) {
        JsonNode diff = r.path("diff");
        out.println("record " + r.path("recordId").asText() + " (endpoint " + r.path("endpoint").asText()
                + ") replayed to " + r.path("service").asText() + " through agent " + r.path("agent").asText()
                + ": " + r.path("outcome").asText().toUpperCase(java.util.Locale.ROOT));
        out.println("replay recorded as " + r.path("replayRecordId").asText());
        out.println("status: recorded " + diff.path("status").path("recorded").asText() + ", replayed "
                + diff.path("status").path("replayed").asText());
        if (diff.path("kind").asText().equals("json")) {
            JsonNode changes = diff.path("changes");
            out.println("changes: " + changes.size() + " (JSON; ignored: " + join(diff.path("ignored")) + ")");
            for (JsonNode c : changes) {
                out.println("  " + c.path("op").asText() + " " + c.path("path").asText());
                if (c.has("recorded")) {
                    out.println("    - " + c.path("recorded"));
                }
                if (c.has("replayed")) {
                    out.println("    + " + c.path("replayed"));
                }
            }
            out.println("--- recorded answer");
            out.println(diff.path("recordedAnswer").toPrettyString());
            out.println("+++ replayed answer");
            out.println(diff.path("replayedAnswer").toPrettyString());
        } else {
            out.println("kind: " + diff.path("kind").asText());
            if (!diff.path("inline").asText().isEmpty()) {
                out.println("words:");
                diff.path("inline").asText().lines().forEach(l -> out.println("  " + l));
                out.print(diff.path("unified").asText());
            }
            out.println("--- recorded answer");
            out.println(diff.path("recordedAnswer").asText());
            out.println("+++ replayed answer");
            out.println(diff.path("replayedAnswer").asText());
        }
        if (r.has("note")) {
            out.println("note: " + r.path("note").asText());
        }
    }

    static void printBatch(JsonNode body, PrintStream out) {
        String format = "%-36s  %-12s  %-9s  %s%n";
        out.printf(format, "RECORD", "ENDPOINT", "OUTCOME", "DETAIL");
        for (JsonNode r : body.path("results")) {
            String detail;
            if (r.has("reason")) {
                detail = r.path("reason").asText();
            } else if (r.has("paths") && r.path("paths").size() > 0) {
                detail = join(r.path("paths"));
            } else if (r.has("inline")) {
                detail = r.path("inline").asText().strip().replace('\n', ' ');
            } else {
                detail = "";
            }
            out.printf(format, r.path("recordId").asText(), r.path("endpoint").asText(), r.path("outcome").asText(),
                    detail);
        }
        JsonNode s = body.path("summary");
        out.println("to " + body.path("service").asText() + ": " + s.path("replayed").asInt() + " replayed: "
                + s.path("same").asInt() + " same, " + s.path("different").asInt() + " different, "
                + s.path("failed").asInt() + " failed (" + s.path("skipped").asInt() + " admin or replay records"
                + " skipped)");
        if (!body.path("next").isNull() && !body.path("next").asText().isEmpty()) {
            out.println("more match: run again with the same filters and --before " + body.path("next").asText());
        }
    }

    private static String join(JsonNode array) {
        StringBuilder s = new StringBuilder();
        for (JsonNode v : array) {
            s.append(s.length() == 0 ? "" : ", ").append(v.asText());
        }
        return s.toString();
    }
}
