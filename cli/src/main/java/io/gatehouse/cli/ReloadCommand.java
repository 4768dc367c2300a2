package io.gatehouse.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code gatehouse reload --config DIR}: asks the running gateway (its admin API, with your token) to apply
 * its config directory as it is now. Exit 0 when applied or unchanged; 1 when refused, with one line per
 * error exactly as {@code config validate} prints them; 2 when the gateway cannot be asked.
 */
@Command(name = "reload", mixinStandardHelpOptions = true,
        description = "Applies the running gateway's changed config directory without a restart (through the admin"
                + " API). Requests and streams in flight finish on the config they started with. A config with"
                + " errors, or one that changes what needs a restart (listeners, store, admin, agents), is refused"
                + " whole and the running config keeps serving.")
final class ReloadCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    AuditAdminClient.Options options = new AuditAdminClient.Options();

    @Override
    public Integer call() throws Exception {
        AuditAdminClient client;
        try {
            client = AuditAdminClient.lenient(options, System::getenv);
        } catch (IllegalArgumentException e) {
            System.err.println("gatehouse reload: " + e.getMessage());
            return 2;
        }
        HttpResponse<String> response;
        try {
            response = client.send("POST", "/admin/config/reload");
        } catch (java.io.IOException e) {
            System.err.println("gatehouse reload: " + e.getMessage());
            return 2;
        }
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (java.io.IOException e) {
            System.err.println("gatehouse reload: the admin API answered " + response.statusCode());
            return 2;
        }
        if (response.statusCode() == 200) {
            String outcome = body.path("outcome").asText();
            if ("unchanged".equals(outcome)) {
                System.out.println("unchanged: the gateway already serves " + body.path("version").asText());
                return 0;
            }
            System.out.println("applied " + body.path("version").asText() + " (was "
                    + body.path("previousVersion").asText() + ")");
            print("files changed", body.path("files"));
            print("endpoints", body.path("endpoints"));
            return 0;
        }
        if (body.has("errors") && body.path("errors").size() > 0) {
            body.path("errors").forEach(e -> System.err.println(e.asText()));
            System.err.println(body.path("errors").size() + (body.path("errors").size() == 1 ? " error" : " errors")
                    + "; the gateway still serves " + body.path("version").asText());
            return 1;
        }
        System.err.println("gatehouse reload: the admin API answered " + response.statusCode() + ": "
                + body.path("title").asText() + ": " + body.path("detail").asText());
        return response.statusCode() == 422 ? 1 : 2;
    }

    private static void print(String label, JsonNode groups) {
        StringBuilder line = new StringBuilder("  " + label + ":");
        groups.fields().forEachRemaining(g -> {
            if (g.getValue().size() > 0) {
                line.append(' ').append(g.getKey()).append(' ').append(g.getValue().toString());
            }
        });
        System.out.println(line);
    }
}
