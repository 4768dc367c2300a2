package io.gatehouse.it.reload;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two gateway replicas on one PostgreSQL store: a reload applied to one is seen in the other's
 * {@code /admin/config}, version per replica, so operators see the drift; the reload is in the audit chain
 * with who applied it and the files that changed.
 */
class ReplicaVersionsIT {

    private static final String POSTGRES_ADMIN = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres";

    private ReloadStack stack;
    private ReloadStack one;
    private ReloadStack two;
    private String database;

    @AfterEach
    void stop() throws Exception {
        for (ReloadStack s : new ReloadStack[] {one, two, stack}) {
            if (s != null) {
                s.close();
            }
        }
        if (database != null) {
            try (Connection c = DriverManager.getConnection(POSTGRES_ADMIN); Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            }
        }
    }

    @Test
    void aReloadOnOneReplicaShowsAsDriftInTheOtherReplicasStatusAndIsInTheAuditChain() throws Exception {
        database = "gatehouse_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        try (Connection c = DriverManager.getConnection(POSTGRES_ADMIN); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + database);
        }
        String store = "store:\n  url: jdbc:postgresql://127.0.0.1:5432/" + database + "?user=postgres\n";
        stack = ReloadStack.start();
        one = stack.replica("one", store + "  replicaId: gw-one\n").startInJvm();
        two = stack.replica("two", store + "  replicaId: gw-two\n").startInJvm();
        String started = status(two).path("version").asText();
        String oneBefore = status(one).path("version").asText();

        one.writePolicy("[demo-large]");
        HttpResponse<String> reload = one.admin("POST", "/admin/config/reload", one.dave());
        assertThat(reload.statusCode()).as(reload.body()).isEqualTo(200);
        String applied = ReloadStack.json(reload.body()).path("version").asText();
        // The replica's row is written once the reload's audit event is durable, after the reload answered:
        // the other replica sees it when that write lands.
        JsonNode seenByTwo = status(two);
        for (int i = 0; i < 100 && !applied.equals(seenByTwo.path("replicas").path(0).path("version").asText()); i++) {
            Thread.sleep(100);
            seenByTwo = status(two);
        }

        assertThat(seenByTwo.path("replica").asText()).isEqualTo("gw-two");
        assertThat(seenByTwo.path("version").asText()).isEqualTo(started);
        assertThat(seenByTwo.path("replicas")).hasSize(2);
        JsonNode first = seenByTwo.path("replicas").get(0);
        JsonNode second = seenByTwo.path("replicas").get(1);
        assertThat(first.path("replica").asText()).isEqualTo("gw-one");
        assertThat(first.path("version").asText()).isEqualTo(applied);
        assertThat(first.path("appliedBy").asText()).isEqualTo("dave");
        assertThat(first.path("matchesThisReplica").asBoolean()).isFalse();
        assertThat(second.path("replica").asText()).isEqualTo("gw-two");
        assertThat(second.path("matchesThisReplica").asBoolean()).isTrue();

        JsonNode event = null;
        for (String line : one.admin("GET", "/admin/audit/export", one.dave()).body().split("\n")) {
            JsonNode e = ReloadStack.json(line);
            if ("config".equals(e.path("type").asText()) && applied.equals(e.path("recordId").asText())) {
                event = e.path("payload");
            }
        }
        assertThat(event).as("the config event of the reload").isNotNull();
        assertThat(event.path("appliedBy").asText()).isEqualTo("dave");
        assertThat(event.path("trigger").asText()).isEqualTo("admin-api");
        assertThat(event.path("previousVersion").asText()).isEqualTo(oneBefore);
        assertThat(event.path("files").path("changed").toString()).isEqualTo("[\"policies/analysts.yaml\"]");
    }

    private static JsonNode status(ReloadStack replica) throws Exception {
        HttpResponse<String> r = replica.admin("GET", "/admin/config", replica.dave());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return ReloadStack.json(r.body());
    }
}
