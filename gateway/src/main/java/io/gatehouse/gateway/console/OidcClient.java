package io.gatehouse.gateway.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * The console's side of OpenID Connect as a public client: the authorization request with PKCE
 * (S256), the code exchange, refresh, and the RP-initiated logout address. Every call to the provider
 * is asynchronous (JDK HttpClient), so nothing waits on the admin port's event loop.
 *
 * <p>The ID token comes straight from the token endpoint over the back channel, so its signature is
 * not checked here (OIDC Core 3.1.3.7, item 6); its issuer, audience and nonce are. Who the user is
 * for every decision comes from the access token, which the admin API's own {@code auth} step verifies.
 */
final class OidcClient {

    /** The provider's endpoints, from its discovery document. */
    record Endpoints(URI authorization, URI token, URI endSession) {
    }

    /** What the token endpoint answered. */
    record Tokens(String accessToken, String refreshToken, String idToken, Instant accessExpiresAt) {
    }

    /** A failed exchange with the provider: what to tell the user. */
    static final class OidcException extends RuntimeException {
        OidcException(String message) {
            super(message);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_ANSWER = 256 * 1024;

    private final URI issuer;
    private final String clientId;
    private final HttpClient http;
    private final AtomicReference<CompletableFuture<Endpoints>> endpoints = new AtomicReference<>();

    OidcClient(URI issuer, String clientId, HttpClient http) {
        this.issuer = issuer;
        this.clientId = clientId;
        this.http = http;
    }

    URI issuer() {
        return issuer;
    }

    String clientId() {
        return clientId;
    }

    /** The discovery document, read once; a failed read is tried again on the next call. */
    CompletionStage<Endpoints> endpoints() {
        CompletableFuture<Endpoints> current = endpoints.get();
        if (current != null && !current.isCompletedExceptionally()) {
            return current;
        }
        CompletableFuture<Endpoints> fresh = new CompletableFuture<>();
        if (!endpoints.compareAndSet(current, fresh)) {
            return endpoints.get();
        }
        String base = issuer.toString().endsWith("/") ? issuer.toString() : issuer + "/";
        http.sendAsync(HttpRequest.newBuilder(URI.create(base + ".well-known/openid-configuration"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(r -> {
                    JsonNode doc = answer(r, "discovery document");
                    if (!issuer.toString().equals(doc.path("issuer").asText())) {
                        throw new OidcException("the discovery document of " + issuer + " names issuer '"
                                + doc.path("issuer").asText() + "'");
                    }
                    String auth = doc.path("authorization_endpoint").asText(null);
                    String token = doc.path("token_endpoint").asText(null);
                    if (auth == null || token == null) {
                        throw new OidcException(issuer + " publishes no authorization or token endpoint");
                    }
                    String end = doc.path("end_session_endpoint").asText(null);
                    return new Endpoints(URI.create(auth), URI.create(token), end == null ? null : URI.create(end));
                }).whenComplete((e, error) -> {
                    if (error != null) {
                        fresh.completeExceptionally(error);
                    } else {
                        fresh.complete(e);
                    }
                });
        return fresh;
    }

    /** A random value for state, nonce and the PKCE verifier: 256 bits, base64url. */
    static String random() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** The S256 code challenge of a verifier (RFC 7636). */
    static String challenge(String verifier) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The address the browser is sent to for sign-in. */
    static URI authorizationUrl(Endpoints e, String clientId, URI redirect, String state, String nonce,
                                String verifier, List<String> acrValues) {
        Map<String, String> q = new LinkedHashMap<>();
        q.put("response_type", "code");
        q.put("client_id", clientId);
        q.put("redirect_uri", redirect.toString());
        q.put("scope", "openid");
        q.put("state", state);
        q.put("nonce", nonce);
        q.put("code_challenge", challenge(verifier));
        q.put("code_challenge_method", "S256");
        if (!acrValues.isEmpty()) {
            q.put("acr_values", String.join(" ", acrValues));
            q.put("prompt", "login"); // a step-up is a fresh sign-in, not the session already there
        }
        return withQuery(e.authorization(), q);
    }

    /** Where the browser goes to end the provider's session too; null when the provider has no such endpoint. */
    static URI logoutUrl(Endpoints e, String clientId, String idToken, URI afterLogout) {
        if (e.endSession() == null) {
            return null;
        }
        Map<String, String> q = new LinkedHashMap<>();
        q.put("client_id", clientId);
        if (idToken != null) {
            q.put("id_token_hint", idToken);
        }
        q.put("post_logout_redirect_uri", afterLogout.toString());
        return withQuery(e.endSession(), q);
    }

    /** Exchanges the authorization code (with the PKCE verifier) for tokens, and checks the ID token. */
    CompletionStage<Tokens> exchange(String code, URI redirect, String verifier, String nonce) {
        return endpoints().thenCompose(e -> post(e.token(), Map.of("grant_type", "authorization_code", "code", code,
                "redirect_uri", redirect.toString(), "client_id", clientId, "code_verifier", verifier)))
                .thenApply(t -> {
                    checkIdToken(t.idToken(), nonce);
                    return t;
                });
    }

    /** A new access token from the refresh token. */
    CompletionStage<Tokens> refresh(String refreshToken) {
        return endpoints().thenCompose(e -> post(e.token(), Map.of("grant_type", "refresh_token", "refresh_token",
                refreshToken, "client_id", clientId)));
    }

    private CompletionStage<Tokens> post(URI endpoint, Map<String, String> form) {
        String body = form.entrySet().stream().map(x -> enc(x.getKey()) + "=" + enc(x.getValue()))
                .collect(Collectors.joining("&"));
        Instant sent = Instant.now();
        return http.sendAsync(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofByteArray()).thenApply(r -> {
                    JsonNode t = answer(r, "token endpoint");
                    String access = t.path("access_token").asText(null);
                    if (access == null) {
                        throw new OidcException("the token endpoint of " + issuer + " gave no access token");
                    }
                    long expiresIn = t.path("expires_in").asLong(60);
                    return new Tokens(access, t.path("refresh_token").asText(null), t.path("id_token").asText(null),
                            sent.plusSeconds(expiresIn));
                });
    }

    private void checkIdToken(String idToken, String nonce) {
        if (idToken == null) {
            throw new OidcException("the provider gave no ID token (is 'openid' an allowed scope of client '"
                    + clientId + "'?)");
        }
        try {
            JWTClaimsSet claims = SignedJWT.parse(idToken).getJWTClaimsSet();
            if (!issuer.toString().equals(claims.getIssuer())) {
                throw new OidcException("the ID token's issuer is '" + claims.getIssuer() + "', not " + issuer);
            }
            if (claims.getAudience() == null || !claims.getAudience().contains(clientId)) {
                throw new OidcException("the ID token is not meant for client '" + clientId + "'");
            }
            if (!nonce.equals(claims.getStringClaim("nonce"))) {
                throw new OidcException("the ID token's nonce does not match this sign-in");
            }
        } catch (ParseException e) {
            throw new OidcException("the ID token is not a signed JWT");
        }
    }

    private JsonNode answer(HttpResponse<byte[]> r, String what) {
        if (r.body().length > MAX_ANSWER) {
            throw new OidcException("the " + what + " of " + issuer + " is larger than " + MAX_ANSWER + " bytes");
        }
        JsonNode node;
        try {
            node = JSON.readTree(r.body());
        } catch (java.io.IOException e) {
            throw new OidcException("the " + what + " of " + issuer + " answered " + r.statusCode() + " without JSON");
        }
        if (r.statusCode() != 200) {
            // error and error_description are the provider's words (RFC 6749 5.2), never a token
            throw new OidcException("the " + what + " of " + issuer + " answered " + r.statusCode() + ": "
                    + node.path("error").asText("?") + " " + node.path("error_description").asText(""));
        }
        return node;
    }

    private static URI withQuery(URI base, Map<String, String> q) {
        String query = q.entrySet().stream().map(x -> enc(x.getKey()) + "=" + enc(x.getValue()))
                .collect(Collectors.joining("&"));
        String b = base.toString();
        return URI.create(b + (b.contains("?") ? "&" : "?") + query);
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
