package io.gatehouse.it.identity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A real Keycloak for one test run: the dist failsafe unpacks ({@code gatehouse.keycloak.home}) is
 * copied once to {@code target/keycloak-identity} (the first start there also builds Keycloak's
 * dev configuration, ~40 s), its {@code data/} is wiped, the realms of {@code config/keycloak} are
 * written to {@code data/import} for this port, and it runs as {@code kc.sh start-dev --import-realm}
 * on 127.0.0.1 and a free port until {@link #close()}. Tests that need it are skipped, saying why,
 * when the dist is missing.
 */
public final class KeycloakServer implements AutoCloseable {

    static final String VERSION = "26.5.6";
    static final String ADMIN = "admin";
    static final String ADMIN_PASSWORD = "admin-it-" + Long.toHexString(System.nanoTime());
    static final String REALM = "gatehouse";
    /** Added to the test copy of the realm: a member of ml-leads with an OTP authenticator. */
    public static final String ERIN_TOTP_SECRET = "gatehouse-erin-totp-secret";
    /** Added to the test copy of the realm: a public client whose access tokens live 2 s. */
    static final String SHORT_LIVED_CLIENT = "short-lived";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static KeycloakServer shared;

    private final Process process;
    private final int port;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    private KeycloakServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** The one Keycloak of this run, started on first use; skips the calling test when the dist is missing. */
    public static synchronized KeycloakServer shared() throws Exception {
        if (shared == null) {
            shared = start();
            KeycloakServer started = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "keycloak-stop"));
        }
        return shared;
    }

    static synchronized void stopShared() {
        if (shared != null) {
            shared.close();
            shared = null;
        }
    }

    private static KeycloakServer start() throws Exception {
        String home = System.getProperty("gatehouse.keycloak.home");
        Path dist = home == null ? null : Path.of(home);
        Assumptions.assumeTrue(dist != null && Files.isRegularFile(dist.resolve("bin/kc.sh")),
                "Keycloak " + VERSION + " is not unpacked at " + home + ": run these tests with `mvn verify`, whose"
                        + " pre-integration-test phase unpacks org.keycloak:keycloak-quarkus-dist:" + VERSION);
        Path copy = dist.toAbsolutePath().getParent().getParent().resolve("keycloak-identity").resolve(
                dist.getFileName());
        if (!Files.isRegularFile(copy.resolve("bin/kc.sh"))) {
            copyRecursively(dist, copy);
        }
        deleteRecursively(copy.resolve("data"));
        int port = freePort();
        Path imports = Files.createDirectories(copy.resolve("data").resolve("import"));
        Path realms = repoRoot().resolve("config").resolve("keycloak");
        Files.writeString(imports.resolve("gatehouse-realm.json"), gatehouseRealm(realms, port));
        Files.writeString(imports.resolve("saml-idp-realm.json"), forPort(Files.readString(
                realms.resolve("saml-idp-realm.json")), port));
        Path log = copy.resolve("data").resolve("keycloak-it.log");
        ProcessBuilder builder = new ProcessBuilder(copy.resolve("bin/kc.sh").toString(), "start-dev",
                "--import-realm", "--http-port", Integer.toString(port), "--http-host", "127.0.0.1")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", ADMIN);
        builder.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
        KeycloakServer server = new KeycloakServer(builder.start(), port, log);
        try {
            server.awaitReady(Duration.ofMinutes(4));
        } catch (Exception | Error e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** The sample realm for this port, plus erin (ml-leads, OTP enrolled) and a 2-second client. */
    private static String gatehouseRealm(Path realms, int port) throws IOException {
        ObjectNode realm = (ObjectNode) JSON.readTree(forPort(Files.readString(realms.resolve("gatehouse-realm.json")),
                port));
        ObjectNode erin = ((ArrayNode) realm.get("users")).addObject();
        erin.put("username", "erin").put("enabled", true).put("email", "erin@gatehouse.test").put("emailVerified", true)
                .put("firstName", "Erin").put("lastName", "Lead");
        ArrayNode credentials = erin.putArray("credentials");
        credentials.addObject().put("type", "password").put("value", "erin-password").put("temporary", false);
        credentials.addObject().put("type", "otp").put("userLabel", "test authenticator")
                .put("secretData", "{\"value\":\"" + ERIN_TOTP_SECRET + "\"}")
                .put("credentialData", "{\"subType\":\"totp\",\"digits\":6,\"counter\":0,\"period\":30,"
                        + "\"algorithm\":\"HmacSHA1\"}");
        erin.putArray("groups").add("/ml-leads");
        ObjectNode shortLived = ((ObjectNode) realm.get("clients").get(0)).deepCopy();
        shortLived.put("clientId", SHORT_LIVED_CLIENT).put("name", "2-second tokens (tests)");
        shortLived.putObject("attributes").put("access.token.lifespan", "2");
        ((ArrayNode) realm.get("clients")).add(shortLived);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(realm);
    }

    private static String forPort(String json, int port) {
        return json.replace("127.0.0.1:8180", "127.0.0.1:" + port);
    }

    private void awaitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        URI probe = URI.create(base() + "/realms/" + REALM + "/.well-known/openid-configuration");
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Keycloak exited with " + process.exitValue() + ":\n" + logTail());
            }
            try {
                if (http.send(HttpRequest.newBuilder(probe).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("Keycloak did not answer within " + timeout + ":\n" + logTail());
    }

    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    public String base() {
        return "http://127.0.0.1:" + port;
    }

    public String issuer() {
        return base() + "/realms/" + REALM;
    }

    int port() {
        return port;
    }

    // ---- tokens ----

    /**
     * A password grant with erin's TOTP code. Keycloak refuses a code at a step boundary or one already used;
     * a refusal is tried once more with the next step's code (Totp hands each step out once).
     */
    JsonNode tokenWithErinsOtp(String client) throws Exception {
        try {
            return token(REALM, form("grant_type", "password", "client_id", client, "username", "erin",
                    "password", "erin-password", "totp", Totp.now(ERIN_TOTP_SECRET)));
        } catch (IllegalStateException refused) {
            if (!refused.getMessage().contains("invalid_grant")) {
                throw refused;
            }
            return token(REALM, form("grant_type", "password", "client_id", client, "username", "erin",
                    "password", "erin-password", "totp", Totp.now(ERIN_TOTP_SECRET)));
        }
    }

    /** The token endpoint's JSON answer; fails unless it is 200. */
    JsonNode token(String realm, Map<String, String> form) throws Exception {
        HttpResponse<String> response = post(base() + "/realms/" + realm + "/protocol/openid-connect/token", form,
                null);
        if (response.statusCode() != 200) {
            throw new IllegalStateException("token endpoint answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** A password-grant access token of the gatehouse realm. */
    public String passwordToken(String client, String user, String password) throws Exception {
        return token(REALM, form("grant_type", "password", "client_id", client, "username", user, "password",
                password, "scope", "openid")).get("access_token").asText();
    }

    String clientCredentialsToken(String client, String secret) throws Exception {
        return token(REALM, form("grant_type", "client_credentials", "client_id", client, "client_secret", secret))
                .get("access_token").asText();
    }

    HttpResponse<String> post(String url, Map<String, String> form, String bearer) throws Exception {
        String body = form.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static Map<String, String> form(String... pairs) {
        Map<String, String> form = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            form.put(pairs[i], pairs[i + 1]);
        }
        return form;
    }

    // ---- admin REST API ----

    private String adminToken() throws Exception {
        return token("master", form("grant_type", "password", "client_id", "admin-cli", "username", ADMIN,
                "password", ADMIN_PASSWORD)).get("access_token").asText();
    }

    /** An admin REST call on the gatehouse realm; fails unless 2xx; the JSON answer, or null. */
    public JsonNode admin(String method, String path, JsonNode body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base() + "/admin/realms/" + REALM + path))
                .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + adminToken())
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ": "
                    + response.body());
        }
        return response.body().isBlank() ? null : JSON.readTree(response.body());
    }

    /**
     * Rotates the realm's RS256 key the way an operator does: a new {@code rsa-generated} provider with
     * a higher priority signs from now on; the old providers are disabled, so their keys leave the JWKS.
     */
    void rotateSigningKey() throws Exception {
        JsonNode realm = admin("GET", "", null);
        JsonNode providers = admin("GET", "/components?type=org.keycloak.keys.KeyProvider", null);
        ObjectNode rotated = JSON.createObjectNode().put("name", "rsa-rotated").put("providerId", "rsa-generated")
                .put("providerType", "org.keycloak.keys.KeyProvider").put("parentId", realm.get("id").asText());
        ObjectNode config = rotated.putObject("config");
        config.putArray("priority").add("500");
        config.putArray("enabled").add("true");
        config.putArray("active").add("true");
        config.putArray("keySize").add("2048");
        config.putArray("algorithm").add("RS256");
        admin("POST", "/components", rotated);
        for (JsonNode provider : providers) {
            if (provider.get("providerId").asText().equals("rsa-generated")) {
                ObjectNode disabled = provider.deepCopy();
                ((ObjectNode) disabled.get("config")).putArray("enabled").add("false");
                admin("PUT", "/components/" + provider.get("id").asText(), disabled);
            }
        }
    }

    @Override
    public void close() {
        process.toHandle().descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- files ----

    public static Path repoRoot() {
        String dir = System.getProperty("gatehouse.repo.root");
        if (dir == null) {
            throw new IllegalStateException("system property gatehouse.repo.root is not set (run through failsafe)");
        }
        return Path.of(dir).toAbsolutePath().normalize();
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void copyRecursively(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path source : files.toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
