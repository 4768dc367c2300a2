package io.gatehouse.processors.auth;

import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RFC 7662 introspection of an opaque token at its provider: POST {@code token}, authenticated with
 * the gateway's client credentials. An active answer is held to the same claims rules as a JWT of
 * that provider ({@code aud}, {@code exp}, …; an answer without {@code iss} is taken as the
 * provider's own). Thread-safe.
 */
final class Introspector {

    private static final Logger LOG = LoggerFactory.getLogger(Introspector.class);
    private static final long MAX_ANSWER_BYTES = 64 * 1024;

    private final String name;
    private final ProviderConfig config;
    private final IntrospectionConfig settings;
    private final ProviderKeys keys;
    private final HttpFetcher http;
    private final ClaimsVerifier claims;
    private final String credentials;

    Introspector(String name, ProviderConfig config, ProviderKeys keys, HttpFetcher http, ClaimsVerifier claims) {
        this.name = name;
        this.config = config;
        this.settings = config.introspection();
        this.keys = keys;
        this.http = http;
        this.claims = claims;
        String pair = form(settings.clientId()) + ":" + form(settings.clientSecret().reveal());
        this.credentials = Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
    }

    IntrospectionConfig settings() {
        return settings;
    }

    /**
     * Asks the provider about {@code token} without waiting: the answer for {@link #introspect(String,
     * CompletableFuture)}. Null when the introspection endpoint is not known yet (its discovery would
     * have to be read first): then {@link #introspect(String)} reads it.
     */
    CompletableFuture<byte[]> answerAsync(String token) {
        URI endpoint = settings.endpoint() != null ? settings.endpoint() : keys.knownIntrospectionEndpoint();
        if (endpoint == null) {
            return null;
        }
        return http.postFormAsync(endpoint, "token=" + form(token) + "&token_type_hint=access_token", credentials,
                config.jwks().timeout(), MAX_ANSWER_BYTES);
    }

    /** The claims of an active token; a rejection for an inactive one; 503 when the provider cannot answer. */
    JWTClaimsSet introspect(String token) throws AuthRejection {
        return introspect(token, null);
    }

    /**
     * As {@link #introspect(String)}, from an answer already asked for ({@link #answerAsync}, completed),
     * or asking now when {@code asked} is null.
     */
    JWTClaimsSet introspect(String token, CompletableFuture<byte[]> asked) throws AuthRejection {
        URI endpoint;
        try {
            endpoint = keys.introspectionEndpoint(settings);
        } catch (ProviderKeys.Unavailable e) {
            throw AuthRejection.unavailable(e.getMessage() + "; opaque tokens cannot be checked",
                    config.jwks().refreshInterval());
        }
        byte[] body;
        try {
            body = asked != null && asked.isDone() ? HttpFetcher.done(asked, endpoint)
                    : http.postForm(endpoint, "token=" + form(token) + "&token_type_hint=access_token", credentials,
                    config.jwks().timeout(), MAX_ANSWER_BYTES);
        } catch (HttpFetcher.FetchException e) {
            LOG.warn("identity provider '{}': introspection at {} failed: {}", name, endpoint, e.getMessage());
            throw AuthRejection.unavailable("identity provider '" + name + "' did not answer the introspection of the"
                    + " token (" + e.getMessage() + "); try again shortly", config.jwks().refreshInterval());
        }
        Map<String, Object> answer = parse(body);
        if (!Boolean.TRUE.equals(answer.get("active"))) {
            throw AuthRejection.invalidToken("inactive-token", "identity provider '" + name + "' says the token is not"
                    + " active (expired, revoked or unknown); get a new token");
        }
        if (!answer.containsKey("iss")) {
            answer.put("iss", config.issuer());
        }
        JWTClaimsSet set;
        try {
            set = JWTClaimsSet.parse(answer);
        } catch (ParseException e) {
            throw answerNotUnderstood("its claims are malformed");
        }
        try {
            claims.check(set);
        } catch (Rejected r) {
            throw r.toRejection();
        }
        return set;
    }

    private Map<String, Object> parse(byte[] body) throws AuthRejection {
        String text = new String(body, StandardCharsets.UTF_8);
        String problem = JsonShape.problem(text);
        if (problem != null) {
            throw answerNotUnderstood("it " + problem);
        }
        try {
            return new java.util.HashMap<>(JSONObjectUtils.parse(text));
        } catch (ParseException e) {
            throw answerNotUnderstood("it is not JSON");
        }
    }

    private AuthRejection answerNotUnderstood(String why) {
        LOG.warn("identity provider '{}': introspection answer not understood: {}", name, why);
        return AuthRejection.unavailable("the introspection answer of identity provider '" + name
                + "' was not understood (" + why + "); try again shortly", config.jwks().refreshInterval());
    }

    private static String form(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
