package io.gatehouse.it.identity;

import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What a browser does to sign in to the {@code gatehouse} realm through the SAML IdP it brokers:
 * authorization request with {@code kc_idp_hint=saml-idp}, the SAML AuthnRequest auto-post, the
 * IdP's login form, the signed SAML response auto-post back to the broker, first-broker-login, and
 * the redirect with the code, which is exchanged for the access token. Cookies are kept like a
 * browser keeps them for a loopback origin (Keycloak marks them Secure; browsers send Secure
 * cookies to localhost over plain http too).
 */
final class SamlBrokerLogin {

    static final String CALLBACK = "http://127.0.0.1/gatehouse-callback";

    private static final Pattern FORM_ACTION = Pattern.compile("<form[^>]*action=\"([^\"]+)\"");
    private static final Pattern INPUT = Pattern.compile("<input[^>]*name=\"([^\"]+)\"[^>]*value=\"([^\"]*)\"");

    private final KeycloakServer keycloak;
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5)).build();
    /** Cookie path + "\n" + name → value; both realms set an AUTH_SESSION_ID, each on its own path. */
    private final Map<String, String> cookies = new LinkedHashMap<>();

    SamlBrokerLogin(KeycloakServer keycloak) {
        this.keycloak = keycloak;
    }

    /** Signs in {@code user} at the SAML IdP and returns the gatehouse realm's access token. */
    String accessToken(String user, String password) throws Exception {
        String url = keycloak.issuer() + "/protocol/openid-connect/auth?" + query(Map.of("client_id", "gatehouse",
                "response_type", "code", "redirect_uri", CALLBACK, "scope", "openid", "kc_idp_hint", "saml-idp"));
        Map<String, String> post = null;
        for (int step = 0; step < 20; step++) {
            HttpResponse<String> response = send(url, post);
            post = null;
            int status = response.statusCode();
            String body = response.body();
            if (status >= 300 && status < 400) {
                String location = response.headers().firstValue("Location").orElseThrow();
                if (location.startsWith(CALLBACK)) {
                    return exchange(param(location, "code"));
                }
                url = URI.create(url).resolve(location).toString();
            } else if (body.contains("SAMLRequest") || body.contains("SAMLResponse")) {
                url = action(body);
                post = inputs(body);
            } else if (body.contains("kc-form-login")) {
                url = action(body);
                post = Map.of("username", user, "password", password);
            } else {
                throw new IllegalStateException("unexpected page at step " + step + " (" + status + ", " + url + "):\n"
                        + body.substring(0, Math.min(1500, body.length())));
            }
        }
        throw new IllegalStateException("the broker login did not end in 20 steps");
    }

    private String exchange(String code) throws Exception {
        return keycloak.token(KeycloakServer.REALM, KeycloakServer.form("grant_type", "authorization_code",
                "code", code, "redirect_uri", CALLBACK, "client_id", "gatehouse")).get("access_token").asText();
    }

    private HttpResponse<String> send(String url, Map<String, String> form) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (form != null) {
            request.header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(query(form)));
        }
        String path = URI.create(url).getPath();
        String sent = cookies.entrySet().stream().filter(e -> path.startsWith(e.getKey().split("\n")[0]))
                .map(e -> e.getKey().split("\n")[1] + "=" + e.getValue()).collect(Collectors.joining("; "));
        if (!sent.isEmpty()) {
            request.header("Cookie", sent);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        List<String> set = response.headers().allValues("Set-Cookie");
        for (String cookie : set) {
            String[] attributes = cookie.split(";");
            int eq = attributes[0].indexOf('=');
            String name = attributes[0].substring(0, eq).trim();
            String value = attributes[0].substring(eq + 1).trim();
            String cookiePath = "/";
            for (String attribute : attributes) {
                if (attribute.trim().toLowerCase().startsWith("path=")) {
                    cookiePath = attribute.trim().substring(5);
                }
            }
            String key = cookiePath + "\n" + name;
            if (value.isEmpty() || cookie.toLowerCase().contains("max-age=0")) {
                cookies.remove(key);
            } else {
                cookies.put(key, value);
            }
        }
        return response;
    }

    private static String action(String page) {
        Matcher m = FORM_ACTION.matcher(page);
        if (!m.find()) {
            throw new IllegalStateException("no form on the page");
        }
        return unescape(m.group(1));
    }

    private static Map<String, String> inputs(String page) {
        Map<String, String> fields = new LinkedHashMap<>();
        Matcher m = INPUT.matcher(page);
        while (m.find()) {
            fields.put(unescape(m.group(1)), unescape(m.group(2)));
        }
        return fields;
    }

    private static String unescape(String html) {
        return html.replace("&amp;", "&").replace("&quot;", "\"").replace("&#x3d;", "=").replace("&#61;", "=")
                .replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'");
    }

    private static String query(Map<String, String> params) {
        return params.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
    }

    private static String param(String url, String name) {
        for (String pair : URI.create(url).getRawQuery().split("&")) {
            int eq = pair.indexOf('=');
            if (pair.substring(0, eq).equals(name)) {
                return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            }
        }
        throw new IllegalStateException("no " + name + " in " + url);
    }
}
