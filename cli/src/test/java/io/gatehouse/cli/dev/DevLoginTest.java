package io.gatehouse.cli.dev;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dev issuer's sign-in for the demo's console: the page of demo users, code + PKCE, refresh, logout. */
class DevLoginTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    private static final String CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"; // RFC 7636, appendix B
    private static final String REDIRECT = "http://127.0.0.1:8081/console/callback";
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @TempDir
    Path data;

    private static Map<String, String> authorization() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("response_type", "code");
        p.put("client_id", "gatehouse-console");
        p.put("redirect_uri", REDIRECT);
        p.put("state", "s<1>");
        p.put("nonce", "n-1");
        p.put("code_challenge", CHALLENGE);
        p.put("code_challenge_method", "S256");
        return p;
    }

    private static String form(Map<String, String> p) {
        return p.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
    }

    private HttpResponse<String> post(String url, Map<String, String> p) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type",
                "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form(p))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theSignInPageListsTheDemoUsersAndEscapesWhatTheRequestCarried() throws Exception {
        RSAKey key = DevKeys.loadOrCreate(data);
        try (DevIssuer issuer = DevIssuer.start("127.0.0.1", 0, key, false)) {
            HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(issuer.issuer() + "/authorize?"
                    + form(authorization()))).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("Sign in as carol</button> ml-leads").contains("Sign in as dave")
                    .contains("value=\"s&lt;1&gt;\"").doesNotContain("s<1>");
            assertThat(page.headers().firstValue("X-Frame-Options")).hasValue("DENY");
        }
    }

    @Test
    void aCodeIsExchangedOnceWithTheRightVerifierForTokensOfTheChosenUser() throws Exception {
        RSAKey key = DevKeys.loadOrCreate(data);
        try (DevIssuer issuer = DevIssuer.start("127.0.0.1", 0, key, false)) {
            Map<String, String> chosen = authorization();
            chosen.put("user", "carol");
            chosen.put("otp", "on");
            HttpResponse<String> redirect = post(issuer.issuer() + "/authorize", chosen);
            assertThat(redirect.statusCode()).isEqualTo(302);
            String location = redirect.headers().firstValue("Location").orElseThrow();
            assertThat(location).startsWith(REDIRECT + "?code=").endsWith("&state=s%3C1%3E");
            String code = location.substring(location.indexOf("code=") + 5, location.indexOf("&state"));

            Map<String, String> wrong = Map.of("grant_type", "authorization_code", "code", code, "client_id",
                    "gatehouse-console", "redirect_uri", REDIRECT, "code_verifier", "not-the-verifier-of-this-code-xx");
            HttpResponse<String> refused = post(issuer.issuer() + "/token", wrong);
            Map<String, String> right = new LinkedHashMap<>(wrong);
            right.put("code_verifier", VERIFIER);
            HttpResponse<String> again = post(issuer.issuer() + "/token", right);

            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(JSON.readTree(refused.body()).path("error_description").asText())
                    .isEqualTo("PKCE verification failed");
            assertThat(again.statusCode()).as("a code is used once, even after a failed try").isEqualTo(400);
        }
    }

    @Test
    void theTokensCarryTheUsersGroupsTheSecondFactorAndTheNonceAndRefreshWorks() throws Exception {
        RSAKey key = DevKeys.loadOrCreate(data);
        try (DevIssuer issuer = DevIssuer.start("127.0.0.1", 0, key, false)) {
            Map<String, String> chosen = authorization();
            chosen.put("user", "carol");
            chosen.put("otp", "on");
            String location = post(issuer.issuer() + "/authorize", chosen).headers().firstValue("Location")
                    .orElseThrow();
            String code = location.substring(location.indexOf("code=") + 5, location.indexOf("&state"));

            JsonNode tokens = JSON.readTree(post(issuer.issuer() + "/token", Map.of("grant_type",
                    "authorization_code", "code", code, "client_id", "gatehouse-console", "redirect_uri", REDIRECT,
                    "code_verifier", VERIFIER)).body());
            JsonNode refreshed = JSON.readTree(post(issuer.issuer() + "/token", Map.of("grant_type", "refresh_token",
                    "refresh_token", tokens.path("refresh_token").asText(), "client_id", "gatehouse-console")).body());

            var access = SignedJWT.parse(tokens.path("access_token").asText()).getJWTClaimsSet();
            var id = SignedJWT.parse(tokens.path("id_token").asText()).getJWTClaimsSet();
            assertThat(access.getAudience()).containsExactly("gatehouse");
            assertThat(access.getStringClaim("preferred_username")).isEqualTo("carol");
            assertThat(access.getStringListClaim("groups")).containsExactly("ml-leads");
            assertThat(access.getStringListClaim("amr")).containsExactly("pwd", "otp");
            assertThat(id.getAudience()).containsExactly("gatehouse-console");
            assertThat(id.getStringClaim("nonce")).isEqualTo("n-1");
            assertThat(SignedJWT.parse(refreshed.path("access_token").asText()).getJWTClaimsSet()
                    .getStringClaim("preferred_username")).isEqualTo("carol");
        }
    }

    @Test
    void redirectsGoToLoopbackAddressesOnly() throws Exception {
        RSAKey key = DevKeys.loadOrCreate(data);
        try (DevIssuer issuer = DevIssuer.start("127.0.0.1", 0, key, false)) {
            Map<String, String> p = authorization();
            p.put("redirect_uri", "https://attacker.example/steal");
            HttpResponse<String> authorize = http.send(HttpRequest.newBuilder(URI.create(issuer.issuer()
                    + "/authorize?" + form(p))).build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> logout = http.send(HttpRequest.newBuilder(URI.create(issuer.issuer()
                    + "/logout?post_logout_redirect_uri=https%3A%2F%2Fattacker.example%2F")).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> home = http.send(HttpRequest.newBuilder(URI.create(issuer.issuer()
                    + "/logout?post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A8081%2Fconsole%2F")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(authorize.statusCode()).isEqualTo(400);
            assertThat(authorize.body()).isEqualTo("redirect_uri must be an http(s) address on 127.0.0.1, localhost"
                    + " or [::1]");
            assertThat(logout.statusCode()).isEqualTo(200);
            assertThat(home.statusCode()).isEqualTo(302);
            assertThat(home.headers().firstValue("Location")).hasValue("http://127.0.0.1:8081/console/");
        }
    }
}
