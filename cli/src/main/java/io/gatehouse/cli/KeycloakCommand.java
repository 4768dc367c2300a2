package io.gatehouse.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gatehouse keycloak}: a local Keycloak for trying the gateway with real OIDC. Fetches
 * {@code org.keycloak:keycloak-quarkus-dist} through Maven (unpacked under {@code <data>/keycloak}),
 * imports the sample realms of {@code config/keycloak} ({@code gatehouse}, and {@code saml-idp}, a
 * second realm acting as a SAML identity provider that {@code gatehouse} brokers), starts it in dev
 * mode on 127.0.0.1 and prints how to get tokens. Runs until stopped.
 */
@Command(name = "keycloak", mixinStandardHelpOptions = true,
        description = "Fetches Keycloak through Maven, starts it on 127.0.0.1 with the sample realms and prints how"
                + " to get tokens. For trying Gatehouse: dev mode, loopback only.")
final class KeycloakCommand implements Callable<Integer> {

    static final String VERSION = "26.5.6";
    static final int DEFAULT_PORT = 8180;

    @Option(names = "--port", defaultValue = "8180", description = "HTTP port (default: ${DEFAULT-VALUE}); the"
            + " sample realms and config/examples/keycloak assume 8180")
    int port;

    @Option(names = "--data", defaultValue = "data", description = "Keycloak is unpacked into <data>/keycloak"
            + " (default: ${DEFAULT-VALUE})")
    Path data;

    @Option(names = "--realms", defaultValue = "config/keycloak", paramLabel = "DIR",
            description = "the realm files to import (default: ${DEFAULT-VALUE})")
    Path realms;

    @Option(names = "--fresh", description = "forget Keycloak's database (users, keys, changes made in the admin"
            + " console) and import the realms again")
    boolean fresh;

    @Option(names = "--admin-password", defaultValue = "${env:KC_BOOTSTRAP_ADMIN_PASSWORD:-admin}",
            description = "password of the admin console's temporary user 'admin' (default: env"
                    + " KC_BOOTSTRAP_ADMIN_PASSWORD, else admin)")
    String adminPassword;

    @Option(names = "--maven", defaultValue = "mvn", description = "the Maven command (default: ${DEFAULT-VALUE})")
    String maven;

    @Override
    public Integer call() throws Exception {
        Path home = data.resolve("keycloak").resolve("keycloak-" + VERSION).toAbsolutePath().normalize();
        if (!Files.isRegularFile(home.resolve("bin/kc.sh"))) {
            int fetched = fetch(home.getParent());
            if (fetched != 0 || !Files.isRegularFile(home.resolve("bin/kc.sh"))) {
                System.err.println("gatehouse: could not fetch Keycloak " + VERSION + " (Maven exited with " + fetched
                        + "); it needs Maven (" + maven + ") and access to Maven Central");
                return 1;
            }
        }
        if (fresh) {
            deleteRecursively(home.resolve("data").resolve("h2"));
        }
        Path imports = Files.createDirectories(home.resolve("data").resolve("import"));
        for (String realm : List.of("gatehouse-realm.json", "saml-idp-realm.json")) {
            Path source = realms.resolve(realm);
            if (!Files.isRegularFile(source)) {
                System.err.println("gatehouse: realm file " + source + " not found; run from the repository root or"
                        + " pass --realms DIR");
                return 1;
            }
            Files.writeString(imports.resolve(realm), Files.readString(source, StandardCharsets.UTF_8)
                    .replace("127.0.0.1:" + DEFAULT_PORT, "127.0.0.1:" + port), StandardCharsets.UTF_8);
        }
        Path log = home.getParent().resolve("keycloak.log");
        ProcessBuilder builder = new ProcessBuilder(home.resolve("bin/kc.sh").toString(), "start-dev",
                "--import-realm", "--http-port", Integer.toString(port), "--http-host", "127.0.0.1")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
        builder.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", adminPassword);
        say("starting Keycloak " + VERSION + " on http://127.0.0.1:" + port + " (log: " + log + "); the first start"
                + " takes a minute or two");
        Process keycloak = builder.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(keycloak), "gatehouse-keycloak-shutdown"));
        if (!awaitReady(keycloak)) {
            System.err.println("gatehouse: Keycloak did not start; see " + log);
            stop(keycloak);
            return 1;
        }
        printGuide();
        return keycloak.waitFor();
    }

    /** {@code mvn dependency:unpack} of the dist zip, with Maven's own progress on the terminal. */
    private int fetch(Path into) throws IOException, InterruptedException {
        Files.createDirectories(into);
        say("fetching org.keycloak:keycloak-quarkus-dist:" + VERSION + " (about 180 MB) through Maven into " + into);
        List<String> command = List.of(maven, "-B", "-ntp",
                "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:unpack",
                "-Dartifact=org.keycloak:keycloak-quarkus-dist:" + VERSION + ":zip",
                "-DoutputDirectory=" + into.toAbsolutePath());
        try {
            // Run outside any project directory, so Maven does not take the repository's pom for a reactor.
            return new ProcessBuilder(command).directory(into.toFile()).inheritIO().start().waitFor();
        } catch (IOException e) {
            System.err.println("gatehouse: cannot run " + maven + ": " + e.getMessage());
            return 127;
        }
    }

    private boolean awaitReady(Process keycloak) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        URI probe = URI.create(base() + "/realms/gatehouse/.well-known/openid-configuration");
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (System.nanoTime() < deadline && keycloak.isAlive()) {
            try {
                if (http.send(HttpRequest.newBuilder(probe).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    System.out.println();
                    return true;
                }
            } catch (IOException notYet) {
                // still starting
            }
            System.out.print(".");
            System.out.flush();
            Thread.sleep(1000);
        }
        System.out.println();
        return false;
    }

    private void printGuide() {
        String issuer = base() + "/realms/gatehouse";
        String token = issuer + "/protocol/openid-connect/token";
        say("Keycloak is up.");
        say("  issuer         " + issuer);
        say("  admin console  " + base() + "/admin   (admin / the --admin-password)");
        say("  users          alice (analysts), bob (ml-engineers), carol (ml-leads: needs OTP at the gateway),"
                + " dave (auditors); password <user>-password");
        say("");
        say("Tokens:");
        say("  export TOKEN=$(curl -s " + token + " -d grant_type=password -d client_id=gatehouse \\");
        say("       -d username=alice -d password=alice-password | sed -E 's/.*\"access_token\":\"([^\"]+)\".*/\\1/')");
        say("  # a machine caller (service account in ml-engineers):");
        say("  curl -s " + token + " -d grant_type=client_credentials -d client_id=ci-pipeline \\");
        say("       -d client_secret=ci-pipeline-secret");
        say("  # carol gets a token, but the gateway answers 401 insufficient_user_authentication until she signs in");
        say("  # with OTP: enrol one in " + issuer + "/account, then add -d totp=<code> to the password grant.");
        say("  # SAML: sign in through the brokered SAML IdP (user sam / sam-password, mapped to analysts) at");
        say("  #   " + issuer + "/account  (choose \"Corporate SAML IdP (example)\")");
        say("");
        say("Gateway: ./gatehouse demo --idp keycloak   (or serve --config config/examples/keycloak)");
        say("Press Ctrl-C to stop Keycloak.");
    }

    private String base() {
        return "http://127.0.0.1:" + port;
    }

    private static void stop(Process keycloak) {
        keycloak.toHandle().descendants().forEach(ProcessHandle::destroy);
        keycloak.destroy();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
