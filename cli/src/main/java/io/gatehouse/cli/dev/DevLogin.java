package io.gatehouse.cli.dev;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The dev issuer's sign-in, so the demo's console works without Keycloak: an authorization endpoint
 * whose page lists the demo users (no password: whoever can reach the loopback issuer can mint
 * tokens anyway), the code exchange with PKCE (S256 checked), refresh, and an end-session endpoint.
 * Redirects go to loopback addresses only.
 */
final class DevLogin {

    /** A demo user: the groups of the Keycloak sample realm. */
    record DemoUser(String username, List<String> groups, String what) {
    }

    static final List<DemoUser> USERS = List.of(
            new DemoUser("carol", List.of("ml-leads"), "approves held requests"),
            new DemoUser("erin", List.of("ml-leads"), "a second approver"),
            new DemoUser("dave", List.of("auditors"), "reads recordings, audit and health"),
            new DemoUser("alice", List.of("analysts"), "a caller: the console shows her nothing"),
            new DemoUser("bob", List.of("ml-engineers"), "a caller whose batch jobs are held"));

    private record Grant(DemoUser user, List<String> amr, String clientId, String redirectUri, String nonce,
                         String challenge, Instant expiresAt) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration CODE_TTL = Duration.ofMinutes(2);
    private static final Duration ACCESS_TTL = Duration.ofMinutes(15);
    private static final int MAX_PENDING = 1000;

    private final RSAKey key;
    private final String issuer;
    private final String audience;
    private final Map<String, Grant> codes = new ConcurrentHashMap<>();
    private final Map<String, Grant> refreshTokens = new ConcurrentHashMap<>();

    DevLogin(RSAKey key, String issuer, String audience) {
        this.key = key;
        this.issuer = issuer;
        this.audience = audience;
    }

    void authorize(HttpExchange ex) throws IOException {
        Map<String, String> p = ex.getRequestMethod().equals("POST") ? form(ex) : query(ex.getRequestURI());
        String redirect = p.get("redirect_uri");
        if (redirect == null || !loopback(redirect)) {
            text(ex, 400, "redirect_uri must be an http(s) address on 127.0.0.1, localhost or [::1]");
            return;
        }
        if (!"code".equals(p.get("response_type")) || p.get("client_id") == null
                || !"S256".equals(p.get("code_challenge_method")) || p.get("code_challenge") == null) {
            redirect(ex, redirect, Map.of("error", "invalid_request", "error_description",
                    "the dev issuer needs response_type=code, client_id and a PKCE S256 code_challenge",
                    "state", p.getOrDefault("state", "")));
            return;
        }
        if (ex.getRequestMethod().equals("GET")) {
            page(ex, p);
            return;
        }
        DemoUser user = USERS.stream().filter(u -> u.username().equals(p.get("user"))).findFirst().orElse(null);
        if (user == null) {
            text(ex, 400, "pick one of the demo users");
            return;
        }
        List<String> amr = "on".equals(p.get("otp")) ? List.of("pwd", "otp") : List.of("pwd");
        if (codes.size() > MAX_PENDING) {
            codes.clear(); // the demo's issuer: forget old codes rather than grow
        }
        String code = random();
        codes.put(code, new Grant(user, amr, p.get("client_id"), redirect, p.get("nonce"), p.get("code_challenge"),
                Instant.now().plus(CODE_TTL)));
        Map<String, String> answer = new LinkedHashMap<>();
        answer.put("code", code);
        if (p.get("state") != null) {
            answer.put("state", p.get("state"));
        }
        redirect(ex, redirect, answer);
    }

    void token(HttpExchange ex) throws IOException {
        if (!ex.getRequestMethod().equals("POST")) {
            error(ex, "invalid_request", "POST the token request");
            return;
        }
        Map<String, String> p = form(ex);
        Grant grant;
        if ("authorization_code".equals(p.get("grant_type"))) {
            grant = p.get("code") == null ? null : codes.remove(p.get("code"));
            if (grant == null || grant.expiresAt().isBefore(Instant.now())) {
                error(ex, "invalid_grant", "unknown, used or expired code");
                return;
            }
            if (!grant.clientId().equals(p.get("client_id")) || !grant.redirectUri().equals(p.get("redirect_uri"))) {
                error(ex, "invalid_grant", "client_id or redirect_uri differ from the authorization request");
                return;
            }
            if (p.get("code_verifier") == null || !grant.challenge().equals(s256(p.get("code_verifier")))) {
                error(ex, "invalid_grant", "PKCE verification failed");
                return;
            }
        } else if ("refresh_token".equals(p.get("grant_type"))) {
            grant = p.get("refresh_token") == null ? null : refreshTokens.get(p.get("refresh_token"));
            if (grant == null || !grant.clientId().equals(p.get("client_id"))) {
                error(ex, "invalid_grant", "unknown refresh token");
                return;
            }
        } else {
            error(ex, "unsupported_grant_type", "authorization_code or refresh_token");
            return;
        }
        Instant now = Instant.now();
        String refresh = random();
        if (refreshTokens.size() > MAX_PENDING) {
            refreshTokens.clear();
        }
        refreshTokens.put(refresh, grant);
        ObjectNode body = JSON.createObjectNode();
        body.put("access_token", DevTokens.issue(key, issuer, audience, grant.user().username(), grant.user().groups(),
                grant.amr(), ACCESS_TTL, now));
        body.put("token_type", "Bearer").put("expires_in", ACCESS_TTL.toSeconds()).put("refresh_token", refresh);
        body.put("id_token", idToken(grant, now));
        json(ex, 200, JSON.writeValueAsBytes(body));
    }

    void logout(HttpExchange ex) throws IOException {
        Map<String, String> p = query(ex.getRequestURI());
        String after = p.get("post_logout_redirect_uri");
        if (after != null && loopback(after)) {
            redirect(ex, after, Map.of());
        } else {
            text(ex, 200, "Signed out of the dev issuer.");
        }
    }

    private String idToken(Grant grant, Instant now) {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().issuer(issuer).audience(grant.clientId())
                .subject(UUID.nameUUIDFromBytes(("dev:" + grant.user().username()).getBytes(StandardCharsets.UTF_8))
                        .toString())
                .claim("preferred_username", grant.user().username()).claim("groups", grant.user().groups())
                .claim("amr", grant.amr()).issueTime(Date.from(now)).expirationTime(Date.from(now.plus(ACCESS_TTL)));
        if (grant.nonce() != null) {
            claims.claim("nonce", grant.nonce());
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID())
                .type(JOSEObjectType.JWT).build(), claims.build());
        try {
            jwt.sign(new RSASSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a dev ID token", e);
        }
        return jwt.serialize();
    }

    private void page(HttpExchange ex, Map<String, String> p) throws IOException {
        StringBuilder hidden = new StringBuilder();
        for (String name : List.of("response_type", "client_id", "redirect_uri", "state", "nonce", "code_challenge",
                "code_challenge_method")) {
            if (p.get(name) != null) {
                hidden.append("<input type=\"hidden\" name=\"").append(name).append("\" value=\"")
                        .append(escape(p.get(name))).append("\">");
            }
        }
        boolean stepUp = p.get("acr_values") != null;
        StringBuilder html = new StringBuilder("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<title>Gatehouse dev sign-in</title></head><body><h1>Gatehouse dev sign-in</h1>"
                + "<p>The demo's token issuer. Pick a demo user (no password: this issuer answers on loopback"
                + " only, for the demo).</p>");
        for (DemoUser u : USERS) {
            html.append("<form method=\"post\" action=\"authorize\">").append(hidden)
                    .append("<input type=\"hidden\" name=\"user\" value=\"").append(escape(u.username())).append("\">")
                    .append("<p><button type=\"submit\" id=\"user-").append(escape(u.username())).append("\">Sign in as ")
                    .append(escape(u.username())).append("</button> ").append(escape(String.join(", ", u.groups())))
                    .append(" — ").append(escape(u.what()))
                    .append(" <label><input type=\"checkbox\" name=\"otp\"").append(stepUp ? " checked" : "")
                    .append("> with a second factor</label></p></form>");
        }
        html.append("</body></html>");
        byte[] body = html.toString().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
        ex.getResponseHeaders().set("Content-Security-Policy", "default-src 'none'; form-action 'self' http://127.0.0.1:*"
                + " http://localhost:*; frame-ancestors 'none'");
        ex.getResponseHeaders().set("X-Frame-Options", "DENY");
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    static boolean loopback(String uri) {
        try {
            URI u = URI.create(uri);
            return ("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null
                    && (u.getHost().equals("127.0.0.1") || u.getHost().equals("localhost") || u.getHost().equals("[::1]"));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static String s256(String verifier) {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256")
                    .digest(verifier.getBytes(StandardCharsets.US_ASCII)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String random() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;")
                .replace("'", "&#39;");
    }

    private static Map<String, String> form(HttpExchange ex) throws IOException {
        byte[] body = ex.getRequestBody().readNBytes(64 * 1024);
        return parse(new String(body, StandardCharsets.UTF_8));
    }

    private static Map<String, String> query(URI uri) {
        return parse(uri.getRawQuery() == null ? "" : uri.getRawQuery());
    }

    private static Map<String, String> parse(String s) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : s.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.putIfAbsent(k, v);
        }
        return out;
    }

    private static void redirect(HttpExchange ex, String base, Map<String, String> params) throws IOException {
        StringBuilder location = new StringBuilder(base);
        char sep = base.contains("?") ? '&' : '?';
        for (Map.Entry<String, String> e : params.entrySet()) {
            location.append(sep).append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
            sep = '&';
        }
        ex.getResponseHeaders().set("Location", location.toString());
        ex.sendResponseHeaders(302, -1);
        ex.close();
    }

    private static void error(HttpExchange ex, String error, String description) throws IOException {
        ObjectNode body = JSON.createObjectNode().put("error", error).put("error_description", description);
        json(ex, 400, JSON.writeValueAsBytes(body));
    }

    private static void json(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private static void text(HttpExchange ex, int status, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }
}
