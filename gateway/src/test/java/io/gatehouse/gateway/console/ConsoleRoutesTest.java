package io.gatehouse.gateway.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.gatehouse.config.AdminConfig;
import io.gatehouse.config.ConsoleConfig;
import io.gatehouse.gateway.admin.AdminAuth;
import io.gatehouse.spi.Headers;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The console's API in front of the admin API: which paths it passes on for whom, with the user's own token,
 * and what it refuses itself. The admin port is a loopback server here that records what reaches it.
 */
class ConsoleRoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ConsoleConfig CONSOLE = new ConsoleConfig(URI.create("http://127.0.0.1:1/realms/x"), null,
            List.of("ml-leads"), null, 10, Optional.empty(), null);

    private HttpServer admin;
    private final BlockingQueue<String> reached = new LinkedBlockingQueue<>();

    @BeforeEach
    void startAdmin() throws Exception {
        admin = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        admin.createContext("/admin", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            reached.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " "
                    + exchange.getRequestHeaders().getFirst("Authorization") + (body.isEmpty() ? "" : " " + body));
            byte[] answer = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        admin.start();
    }

    @AfterEach
    void stopAdmin() {
        admin.stop(0);
    }

    private ConsoleRoutes console(ConsoleConfig config, Function<Consumer<String>, Runnable> watch,
                                  Set<String> breakGlassReviewers) {
        AdminAuth auth = AdminAuth.create(new AdminConfig("127.0.0.1", admin.getAddress().getPort(), Optional.empty(),
                List.of("auditors"), Optional.empty()), null, null, Clock.systemUTC());
        return new ConsoleRoutes("127.0.0.1", admin.getAddress().getPort(), config, auth,
                HttpClient.newHttpClient(), Clock.systemUTC(), watch, breakGlassReviewers);
    }

    private ConsoleRoutes console() {
        return console(CONSOLE, w -> () -> { }, Set.of("ml-leads"));
    }

    private static ConsoleSessions.Session signIn(ConsoleRoutes console, String user, String... groups) {
        return console.sessions.create(user, Set.of(groups), List.of("pwd"), new OidcClient.Tokens("token-of-" + user,
                null, "id-token", Instant.now().plus(Duration.ofMinutes(5))));
    }

    private static ConsoleRoutes.Reply call(ConsoleRoutes console, ConsoleSessions.Session s, String method,
                                            String path, String body) throws Exception {
        Headers headers = new Headers();
        if (s != null) {
            headers.set("Cookie", ConsoleRoutes.COOKIE + "=" + s.id);
            headers.set("X-CSRF-Token", s.csrf);
        }
        int q = path.indexOf('?');
        Map<String, List<String>> query = q < 0 ? Map.of()
                : new io.netty.handler.codec.http.QueryStringDecoder(path).parameters();
        return console.handle(new ConsoleRoutes.Call(method, q < 0 ? path : path.substring(0, q), query, headers,
                body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8),
                new InetSocketAddress("127.0.0.1", 40000))).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static JsonNode json(ConsoleRoutes.Reply r) throws Exception {
        return JSON.readTree(r.body());
    }

    @Test
    void anAuditorReadsTheAgentsAndTheConfigVersionThroughTheAdminApiWithTheirOwnToken() throws Exception {
        ConsoleRoutes console = console();
        ConsoleSessions.Session dave = signIn(console, "dave", "auditors");

        assertThat(call(console, dave, "GET", "/console/api/agents", null).status()).isEqualTo(200);
        assertThat(call(console, dave, "GET", "/console/api/config", null).status()).isEqualTo(200);

        assertThat(reached.poll(5, TimeUnit.SECONDS)).isEqualTo("GET /admin/agents Bearer token-of-dave");
        assertThat(reached.poll(5, TimeUnit.SECONDS)).isEqualTo("GET /admin/config Bearer token-of-dave");
    }

    @Test
    void theConsoleNeverReloadsTheConfigAndShowsHealthToAuditorsOnly() throws Exception {
        ConsoleRoutes console = console();
        ConsoleSessions.Session dave = signIn(console, "dave", "auditors");
        ConsoleSessions.Session carol = signIn(console, "carol", "ml-leads");

        ConsoleRoutes.Reply reload = call(console, dave, "POST", "/console/api/config", "{}");
        ConsoleRoutes.Reply reloadPath = call(console, dave, "POST", "/console/api/config/reload", "{}");
        ConsoleRoutes.Reply carolsAgents = call(console, carol, "GET", "/console/api/agents", null);

        assertThat(reload.status()).isEqualTo(405);
        assertThat(json(reload).path("detail").asText()).isEqualTo("the console reads /config only (GET); reload the"
                + " config with the CLI or the admin API");
        assertThat(reloadPath.status()).isEqualTo(404);
        assertThat(carolsAgents.status()).isEqualTo(403);
        assertThat(json(carolsAgents).path("detail").asText()).isEqualTo("health is for members of auditors; carol is"
                + " in ml-leads");
        assertThat(reached).isEmpty();
    }

    @Test
    void aReviewerReadsTheBreakGlassQueueAndAcknowledgesAUseButCannotOpenAWindowHere() throws Exception {
        ConsoleRoutes console = console();
        ConsoleSessions.Session carol = signIn(console, "carol", "ml-leads");
        ConsoleSessions.Session alice = signIn(console, "alice", "analysts");

        assertThat(call(console, carol, "GET", "/console/api/break-glass/uses?status=all", null).status())
                .isEqualTo(200);
        assertThat(call(console, carol, "POST", "/console/api/break-glass/uses/bgu-1/acknowledge",
                "{\"reason\":\"checked\"}").status()).isEqualTo(200);
        ConsoleRoutes.Reply open = call(console, carol, "POST", "/console/api/break-glass/open", "{\"reason\":\"x\"}");
        ConsoleRoutes.Reply alices = call(console, alice, "GET", "/console/api/break-glass/uses", null);

        assertThat(reached.poll(5, TimeUnit.SECONDS)).isEqualTo("GET /admin/break-glass/uses?status=all Bearer"
                + " token-of-carol");
        assertThat(reached.poll(5, TimeUnit.SECONDS)).isEqualTo("POST /admin/break-glass/uses/bgu-1/acknowledge Bearer"
                + " token-of-carol {\"reason\":\"checked\"}");
        assertThat(open.status()).isEqualTo(404);
        assertThat(alices.status()).isEqualTo(403);
        assertThat(json(alices).path("detail").asText()).isEqualTo("the break-glass review queue is for members of"
                + " ml-leads and auditors; alice is in analysts");
        assertThat(reached).isEmpty();
    }

    @Test
    void meTellsThePageWhatItMayShowAndWhetherTheApprovalsPageHasALiveFeed() throws Exception {
        ConsoleRoutes console = console();
        ConsoleRoutes withoutFeedOrBreakGlass = console(new ConsoleConfig(CONSOLE.issuer(), null, List.of("ml-leads"),
                null, 10, Optional.empty(), null, 0), w -> () -> { }, null);

        JsonNode carol = json(call(console, signIn(console, "carol", "ml-leads"), "GET", "/console/api/me", null));
        JsonNode dave = json(call(console, signIn(console, "dave", "auditors"), "GET", "/console/api/me", null));
        ConsoleSessions.Session carolThere = signIn(withoutFeedOrBreakGlass, "carol", "ml-leads");
        JsonNode carolThereMe = json(call(withoutFeedOrBreakGlass, carolThere, "GET", "/console/api/me", null));

        assertThat(carol.path("rights").toString()).isEqualTo("{\"approvals\":true,\"recordings\":false,"
                + "\"health\":false,\"breakGlass\":true,\"acknowledge\":true}");
        assertThat(carol.path("liveFeed").asBoolean()).isTrue();
        assertThat(dave.path("rights").toString()).isEqualTo("{\"approvals\":false,\"recordings\":true,"
                + "\"health\":true,\"breakGlass\":true,\"acknowledge\":false}");
        assertThat(carolThereMe.path("rights").path("breakGlass").asBoolean()).isFalse();
        assertThat(carolThereMe.path("liveFeed").asBoolean()).isFalse();
        assertThat(call(withoutFeedOrBreakGlass, carolThere, "GET", "/console/api/break-glass/uses", null).status())
                .isEqualTo(404);
    }

    @Test
    void theLiveFeedIsForSignedInApproversOnly() throws Exception {
        ConsoleRoutes console = console();
        ConsoleRoutes noFeed = console(new ConsoleConfig(CONSOLE.issuer(), null, List.of("ml-leads"), null, 10,
                Optional.empty(), null, 0), w -> () -> { }, null);
        ConsoleSessions.Session alice = signIn(console, "alice", "analysts");
        ConsoleSessions.Session carol = signIn(console, "carol", "ml-leads");
        ConsoleSessions.Session carolThere = signIn(noFeed, "carol", "ml-leads");

        assertThat(console.eventsRefusal(eventsCall(null)).orElseThrow().status()).isEqualTo(401);
        assertThat(console.eventsRefusal(eventsCall(alice)).orElseThrow().status()).isEqualTo(403);
        assertThat(console.eventsRefusal(eventsCall(carol))).isEmpty();
        assertThat(noFeed.eventsRefusal(eventsCall(carolThere)).orElseThrow().status()).isEqualTo(404);
    }

    private static ConsoleRoutes.Call eventsCall(ConsoleSessions.Session s) {
        Headers headers = new Headers();
        if (s != null) {
            headers.set("Cookie", ConsoleRoutes.COOKIE + "=" + s.id);
        }
        return new ConsoleRoutes.Call("GET", ConsoleRoutes.EVENTS, Map.of(), headers, new byte[0],
                new InetSocketAddress("127.0.0.1", 40000));
    }
}
