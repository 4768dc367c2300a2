package io.gatehouse.processors.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import io.gatehouse.spi.Outcome;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.TestExchange;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The JWT attack catalogue (RFC 8725, the OWASP JWT cheat sheet, jwt_tool's playbook): every forged,
 * tampered, confused or malformed token is sent through the {@code auth} step of a gateway that trusts
 * two providers, and none may pass. Each case also names the reason it must be refused for, so a case
 * cannot pass by being refused for something else (a broken fixture). Positive controls prove the same
 * setup accepts genuine tokens. Prints {@code N attack cases, 0 accepted}.
 */
class JwtAttackSuiteTest extends AuthTestSupport {

    static final String OTHER_ISSUER = "https://idp.test/realms/other";
    static final OctetSequenceKey OCT = new OctetSequenceKey.Builder(
            "an-hmac-key-that-must-never-be-used-to-verify".getBytes(StandardCharsets.UTF_8)).keyID("oct-1").build();

    private static JwksServer idp;
    private static JwksServer other;
    private static JwksServer attacker;
    private static ProcessorHarness<AuthConfig> harness;
    private static final AtomicInteger CASES = new AtomicInteger();
    private static final AtomicInteger ACCEPTED = new AtomicInteger();
    private static final List<String> WRONG_REASON = new ArrayList<>();

    /** One attack: the request, and the reasons it may be refused for. */
    record Attack(String name, Supplier<TestExchange> request, Set<String> reasons) {
    }

    @BeforeAll
    static void start() {
        idp = new JwksServer(Keys.RSA, Keys.EC, Keys.RSA_RS256_ONLY, OCT);
        other = new JwksServer(Keys.OTHER);
        attacker = new JwksServer(Keys.ATTACKER);
        Map<String, ProviderConfig> providers = new LinkedHashMap<>();
        providers.put("idp", new ProviderConfig(ISSUER, List.of("chat"), idp.url(), null, null, null,
                Duration.ofHours(1), null, null, null, null));
        providers.put("other", new ProviderConfig(OTHER_ISSUER, List.of("chat"), other.url(), null, null, null, null,
                null, null, null, null));
        harness = harness(IdentityConfig.of(providers), AuthConfig.defaults());
    }

    @AfterAll
    static void summary() {
        harness.close();
        int attackerHits = attacker.hits();
        idp.close();
        other.close();
        attacker.close();
        System.out.println(CASES.get() + " attack cases, " + ACCEPTED.get() + " accepted");
        assertThat(ACCEPTED.get()).as("attack tokens accepted").isZero();
        assertThat(WRONG_REASON).as("attacks refused for an unexpected reason").isEmpty();
        assertThat(CASES.get()).isGreaterThanOrEqualTo(80);
        assertThat(attackerHits).as("requests the gateway sent to URLs named in tokens").isZero();
    }

    // ---- token building ----

    private static String b64(String json) {
        return Base64URL.encode(json.getBytes(StandardCharsets.UTF_8)).toString();
    }

    private static String b64(byte[] bytes) {
        return Base64URL.encode(bytes).toString();
    }

    private static String payload() {
        return claims(NOW).build().toString();
    }

    private static String raw(String header, String payload, String signature) {
        return b64(header) + "." + b64(payload) + "." + signature;
    }

    private static String junkSignature() {
        return b64("not-a-signature-at-all-just-bytes".getBytes(StandardCharsets.UTF_8));
    }

    private static String hmac(String alg, byte[] key, String header, String payload) {
        String input = b64(header) + "." + b64(payload);
        String javaAlg = "Hmac" + alg.replace("HS", "SHA");
        try {
            Mac mac = Mac.getInstance(javaAlg);
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, javaAlg)); // HMAC pads: "" == "\0"
            return input + "." + b64(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hs256(String kid, byte[] key) {
        return hmac("HS256", key, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" + kid + "\"}", payload());
    }

    /** Signs raw header and payload JSON with an RSA or EC key, exactly as written. */
    private static String signRaw(JWK key, String header, String payload) {
        String input = b64(header) + "." + b64(payload);
        try {
            java.util.regex.Matcher alg = java.util.regex.Pattern.compile("\"alg\":\"([^\"]+)\"").matcher(header);
            if (!alg.find()) {
                throw new IllegalArgumentException("no alg in " + header);
            }
            com.nimbusds.jose.JWSHeader parsed = new com.nimbusds.jose.JWSHeader(JWSAlgorithm.parse(alg.group(1)));
            byte[] bytes = input.getBytes(StandardCharsets.US_ASCII);
            Base64URL signature = key instanceof RSAKey rsa ? new RSASSASigner(rsa, true).sign(parsed, bytes)
                    : new ECDSASigner(key.toECKey()).sign(parsed, bytes);
            return input + "." + signature;
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String realSigned(JWTClaimsSet.Builder claims) {
        return Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims.build());
    }

    /** A genuinely signed token whose payload JSON is exactly {@code payload}. */
    private static String realRaw(String payload) {
        return signRaw(Keys.RSA, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"rsa-1\"}", payload);
    }

    private static String attackerKid(String kid) {
        return Keys.sign(Keys.rsaWithKid(Keys.ATTACKER, kid), JWSAlgorithm.RS256, claims(NOW).build());
    }

    private static String claimsWith(String json) {
        String base = payload();
        return base.substring(0, base.length() - 1) + "," + json + "}";
    }

    private static String rsaPem() {
        RSAPublicKey key;
        try {
            key = Keys.RSA.toRSAPublicKey();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(key.getEncoded()) + "\n-----END PUBLIC KEY-----";
    }

    private static byte[] publicKeyDer() {
        try {
            return Keys.RSA.toRSAPublicKey().getEncoded();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Attack token(String name, Supplier<String> token, String... reasons) {
        return new Attack(name, () -> bearer(token.get()), Set.of(reasons));
    }

    private static Attack request(String name, Supplier<TestExchange> request, String... reasons) {
        return new Attack(name, request, Set.of(reasons));
    }

    // ---- the catalogue ----

    static List<Attack> catalogue() {
        List<Attack> attacks = new ArrayList<>();
        String rsaHeader = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"rsa-1\"}";
        String fakeSig = junkSignature();

        // Algorithm and signature (RFC 8725 §3.1, §3.2; CVE-2015-2951, CVE-2016-10555, CVE-2020-28042)
        for (String none : List.of("none", "None", "NONE", "nOnE")) {
            attacks.add(token("alg " + none + ", empty signature",
                    () -> raw("{\"alg\":\"" + none + "\",\"typ\":\"JWT\"}", payload(), ""), "alg-not-allowed"));
            attacks.add(token("alg " + none + ", with a signature",
                    () -> raw("{\"alg\":\"" + none + "\",\"kid\":\"rsa-1\"}", payload(), fakeSig), "alg-not-allowed"));
        }
        attacks.add(token("alg missing", () -> raw("{\"typ\":\"JWT\",\"kid\":\"rsa-1\"}", payload(), fakeSig),
                "malformed"));
        attacks.add(token("alg empty", () -> raw("{\"alg\":\"\",\"kid\":\"rsa-1\"}", payload(), fakeSig),
                "malformed", "alg-not-allowed"));
        attacks.add(token("alg null", () -> raw("{\"alg\":null,\"kid\":\"rsa-1\"}", payload(), fakeSig),
                "malformed", "alg-not-allowed"));
        attacks.add(token("alg a number", () -> raw("{\"alg\":256,\"kid\":\"rsa-1\"}", payload(), fakeSig),
                "malformed"));
        attacks.add(token("HS256 keyed with the RSA public key (DER)", () -> hs256("rsa-1", publicKeyDer()),
                "alg-not-allowed"));
        attacks.add(token("HS256 keyed with the RSA public key (PEM)",
                () -> hs256("rsa-1", rsaPem().getBytes(StandardCharsets.US_ASCII)), "alg-not-allowed"));
        attacks.add(token("HS256 keyed with the RSA public key (PEM + newline)",
                () -> hs256("rsa-1", (rsaPem() + "\n").getBytes(StandardCharsets.US_ASCII)), "alg-not-allowed"));
        attacks.add(token("HS256 keyed with the JWK modulus bytes",
                () -> hs256("rsa-1", Keys.RSA.getModulus().decode()), "alg-not-allowed"));
        attacks.add(token("HS384 keyed with the RSA public key", () -> hmac("HS384", publicKeyDer(),
                "{\"alg\":\"HS384\",\"kid\":\"rsa-1\"}", payload()), "alg-not-allowed"));
        attacks.add(token("HS512 keyed with the RSA public key", () -> hmac("HS512", publicKeyDer(),
                "{\"alg\":\"HS512\",\"kid\":\"rsa-1\"}", payload()), "alg-not-allowed"));
        attacks.add(token("HS256 with a blank secret (CVE-2019-20933)", () -> hs256("rsa-1", new byte[0]),
                "alg-not-allowed"));
        attacks.add(token("HS256 keyed with the JWKS's own oct key", () -> hs256("oct-1", OCT.toByteArray()),
                "alg-not-allowed"));
        attacks.add(token("RS256 naming the oct key", () -> attackerKid("oct-1"), "unknown-key"));
        attacks.add(token("null signature (CVE-2020-28042)", () -> {
            String t = realSigned(claims(NOW));
            return t.substring(0, t.lastIndexOf('.') + 1);
        }, "malformed"));
        attacks.add(token("signature cut by 4 characters", () -> {
            String t = realSigned(claims(NOW));
            return t.substring(0, t.length() - 4);
        }, "bad-signature", "malformed"));
        attacks.add(token("signature of another token spliced on", () -> {
            String a = realSigned(claims(NOW).subject("someone-else"));
            String b = realSigned(claims(NOW).subject("admin"));
            return b.substring(0, b.lastIndexOf('.')) + a.substring(a.lastIndexOf('.'));
        }, "bad-signature"));
        attacks.add(token("signature bytes flipped", () -> {
            String t = realSigned(claims(NOW));
            String[] p = t.split("\\.");
            byte[] sig = Base64URL.from(p[2]).decode();
            sig[10] ^= 0x55;
            return p[0] + "." + p[1] + "." + b64(sig);
        }, "bad-signature"));
        attacks.add(token("payload altered after signing", () -> {
            String[] p = realSigned(claims(NOW)).split("\\.");
            return p[0] + "." + b64(claims(NOW).claim("groups", List.of("admins")).build().toString()) + "." + p[2];
        }, "bad-signature"));
        attacks.add(token("attacker RSA key under the real kid", () -> Keys.sign(Keys.RSA_IMPOSTOR, JWSAlgorithm.RS256,
                claims(NOW).build()), "bad-signature"));
        attacks.add(token("attacker RSA key under its own kid", () -> attackerKid("attacker"), "unknown-key"));
        attacks.add(token("attacker EC key under the real EC kid", () -> Keys.sign(
                new com.nimbusds.jose.jwk.ECKey.Builder(Keys.ATTACKER_EC).keyID("ec-1").build(), JWSAlgorithm.ES256,
                claims(NOW).build()), "bad-signature"));
        for (String alg : List.of("RS384", "RS512", "PS384", "PS512", "ES384", "ES512", "EdDSA", "ES256K", "RS256 ",
                "rs256")) {
            attacks.add(token("algorithm outside the allow-list: " + alg.replace(" ", "<space>"),
                    () -> raw("{\"alg\":\"" + alg + "\",\"kid\":\"rsa-1\"}", payload(), fakeSig), "alg-not-allowed"));
        }
        attacks.add(token("RS256 naming the EC key's kid", () -> attackerKid("ec-1"), "unknown-key"));
        attacks.add(token("ES256 naming the RSA key's kid", () -> Keys.sign(
                new com.nimbusds.jose.jwk.ECKey.Builder(Keys.ATTACKER_EC).keyID("rsa-1").build(), JWSAlgorithm.ES256,
                claims(NOW).build()), "unknown-key"));
        attacks.add(token("a real key used with a second algorithm (key alg RS256, token PS256)",
                () -> Keys.sign(Keys.RSA_RS256_ONLY, JWSAlgorithm.PS256, claims(NOW).build()), "unknown-key"));
        attacks.add(token("JWE where a JWS is expected", () -> "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ"
                + ".a2V5.aXY.Y2lwaGVy.dGFn", "malformed"));
        attacks.add(token("nested JWT (cty JWT) as the payload", () -> signRaw(Keys.ATTACKER,
                "{\"alg\":\"RS256\",\"cty\":\"JWT\",\"kid\":\"rsa-1\"}", "\"" + realSigned(claims(NOW)) + "\""),
                "malformed"));

        // Key selection from header parameters (RFC 8725 §3.10; CVE-2018-0114)
        attacks.add(token("embedded jwk, attacker's own kid", () -> Keys.sign(Keys.ATTACKER, JWSAlgorithm.RS256,
                claims(NOW).build(), h -> h.jwk(Keys.ATTACKER.toPublicJWK())), "unknown-key"));
        attacks.add(token("embedded jwk under the real kid", () -> Keys.sign(Keys.rsaWithKid(Keys.ATTACKER, "rsa-1"),
                JWSAlgorithm.RS256, claims(NOW).build(), h -> h.jwk(Keys.rsaWithKid(Keys.ATTACKER, "rsa-1")
                        .toPublicJWK())), "bad-signature"));
        attacks.add(token("jku to the attacker's JWKS", () -> Keys.sign(Keys.ATTACKER, JWSAlgorithm.RS256,
                claims(NOW).build(), h -> h.jwkURL(attacker.url())), "unknown-key"));
        attacks.add(token("jku to the attacker's JWKS under the real kid", () -> Keys.sign(
                Keys.rsaWithKid(Keys.ATTACKER, "rsa-1"), JWSAlgorithm.RS256, claims(NOW).build(),
                h -> h.jwkURL(attacker.url())), "bad-signature"));
        attacks.add(token("x5u to the attacker", () -> Keys.sign(Keys.ATTACKER, JWSAlgorithm.RS256, claims(NOW).build(),
                h -> h.x509CertURL(attacker.url())), "unknown-key"));
        attacks.add(token("self-made x5c chain", () -> Keys.sign(Keys.ATTACKER, JWSAlgorithm.RS256, claims(NOW).build(),
                h -> h.x509CertChain(List.of(com.nimbusds.jose.util.Base64.encode("self-signed".getBytes(
                        StandardCharsets.US_ASCII))))), "unknown-key", "malformed"));
        attacks.add(token("x5t#S256 of an attacker certificate under the real kid", () -> Keys.sign(
                Keys.rsaWithKid(Keys.ATTACKER, "rsa-1"), JWSAlgorithm.RS256, claims(NOW).build(),
                h -> h.x509CertSHA256Thumbprint(Base64URL.encode("thumb"))), "bad-signature"));
        attacks.add(token("blank kid, HS256 null-signed", () -> hs256("", new byte[0]), "alg-not-allowed"));
        attacks.add(token("blank kid, RS256", () -> attackerKid(""), "unknown-key"));
        for (String kid : List.of("../../../../../../dev/null", "/dev/null", "/invalid_path")) {
            attacks.add(token("kid path " + kid + ", HS256 with an empty key", () -> hs256(kid, new byte[0]),
                    "alg-not-allowed"));
            attacks.add(token("kid path " + kid + ", RS256", () -> attackerKid(kid), "unknown-key"));
        }
        attacks.add(token("kid command injection |sleep 10", () -> attackerKid("|sleep 10"), "unknown-key"));
        attacks.add(token("kid command injection | curl", () -> attackerKid("| curl " + attacker.url()), "unknown-key"));
        attacks.add(token("kid SQL injection, HS256 signed with 1", () -> hs256("x' UNION SELECT '1';--",
                "1".getBytes(StandardCharsets.US_ASCII)), "alg-not-allowed"));
        attacks.add(token("kid SQL injection, RS256", () -> attackerKid("x' UNION SELECT '1';--"), "unknown-key"));
        attacks.add(token("kid LDAP injection", () -> attackerKid("*)(uid=*))(|(uid=*"), "unknown-key"));
        attacks.add(token("random unknown kid", () -> attackerKid(UUID.randomUUID().toString()), "unknown-key"));
        attacks.add(token("kid with control characters", () -> attackerKid("rsa-1\r\nX-Injected: 1"), "unknown-key"));
        attacks.add(token("kid of 4000 characters", () -> attackerKid("k".repeat(4000)), "unknown-key"));
        attacks.add(token("kid a number", () -> signRaw(Keys.ATTACKER, "{\"alg\":\"RS256\",\"kid\":7}", payload()),
                "malformed"));
        attacks.add(token("key of another provider, own issuer named", () -> Keys.sign(Keys.OTHER, JWSAlgorithm.RS256,
                claims(NOW).build()), "unknown-key"));
        attacks.add(token("key of this provider, another provider's issuer named", () -> realSigned(claims(NOW)
                .issuer(OTHER_ISSUER)), "unknown-key"));

        // Claims (RFC 7519 §4, §7.2; RFC 8725 §3.8, §3.9, §3.11, §3.12)
        attacks.add(token("expired beyond the skew", () -> realSigned(claims(NOW).expirationTime(
                java.util.Date.from(NOW.minusSeconds(31)))), "expired"));
        attacks.add(token("no exp", () -> realSigned(claims(NOW).expirationTime(null)), "missing-claim"));
        attacks.add(token("exp as a string", () -> realRaw(claimsWith("\"exp2\":0").replaceFirst("\"exp\":[0-9]+",
                "\"exp\":\"" + NOW.plusSeconds(300).getEpochSecond() + "\"")), "malformed"));
        attacks.add(token("exp negative", () -> realRaw(payload().replaceFirst("\"exp\":[0-9]+", "\"exp\":-1")),
                "expired"));
        attacks.add(token("exp 1e308", () -> realRaw(payload().replaceFirst("\"exp\":[0-9]+", "\"exp\":1e308")),
                "expired", "malformed"));
        attacks.add(token("exp a boolean", () -> realRaw(payload().replaceFirst("\"exp\":[0-9]+", "\"exp\":true")),
                "malformed"));
        attacks.add(token("exp a past float", () -> realRaw(payload().replaceFirst("\"exp\":[0-9]+",
                "\"exp\":" + NOW.minusSeconds(3600).getEpochSecond() + ".5")), "expired"));
        attacks.add(token("nbf in the future beyond the skew", () -> realSigned(claims(NOW).notBeforeTime(
                java.util.Date.from(NOW.plusSeconds(31)))), "not-yet-valid"));
        attacks.add(token("iat in the future beyond the skew", () -> realSigned(claims(NOW).issueTime(
                java.util.Date.from(NOW.plusSeconds(31)))), "issued-in-future"));
        attacks.add(token("older than maxTokenAge, exp far away", () -> realSigned(claims(NOW)
                .issueTime(java.util.Date.from(NOW.minusSeconds(7200)))
                .expirationTime(java.util.Date.from(NOW.plusSeconds(3600)))), "token-too-old"));
        attacks.add(token("wrong iss", () -> realSigned(claims(NOW).issuer("https://evil.test/realms/ml")),
                "wrong-issuer"));
        attacks.add(token("iss with a trailing slash", () -> realSigned(claims(NOW).issuer(ISSUER + "/")),
                "wrong-issuer"));
        attacks.add(token("iss in another case", () -> realSigned(claims(NOW).issuer(ISSUER.toUpperCase())),
                "wrong-issuer"));
        attacks.add(token("iss over http instead of https", () -> realSigned(claims(NOW).issuer(
                ISSUER.replace("https:", "http:"))), "wrong-issuer"));
        attacks.add(token("iss missing", () -> realSigned(claims(NOW).issuer(null)), "wrong-issuer"));
        attacks.add(token("iss an array", () -> realRaw(payload().replace("\"iss\":\"" + ISSUER.replace("/", "\\/")
                + "\"", "\"iss\":[\"" + ISSUER + "\"]").replace("\"iss\":\"" + ISSUER + "\"",
                "\"iss\":[\"" + ISSUER + "\"]")), "malformed"));
        attacks.add(token("aud missing", () -> realSigned(claims(NOW).audience((String) null)), "wrong-audience"));
        attacks.add(token("aud account only", () -> realSigned(claims(NOW).audience("account")), "wrong-audience"));
        attacks.add(token("aud of a sibling service", () -> realSigned(claims(NOW).audience(List.of("billing",
                "chat-admin"))), "wrong-audience"));
        attacks.add(token("aud an empty list", () -> realSigned(claims(NOW).audience(List.of())), "wrong-audience"));
        attacks.add(token("aud in another case", () -> realSigned(claims(NOW).audience("Chat")), "wrong-audience"));
        attacks.add(token("an ID token (typ ID)", () -> realSigned(claims(NOW).claim("typ", "ID")), "wrong-type"));
        attacks.add(token("a refresh token (typ Refresh)", () -> realSigned(claims(NOW).claim("typ", "Refresh")),
                "wrong-type"));
        attacks.add(token("header typ secevent+jwt", () -> Keys.sign(Keys.RSA, JWSAlgorithm.RS256, claims(NOW).build(),
                h -> h.type(new com.nimbusds.jose.JOSEObjectType("secevent+jwt"))), "wrong-type"));
        attacks.add(token("unknown crit parameter", () -> signRaw(Keys.RSA,
                "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"crit\":[\"exp-ext\"],\"exp-ext\":1}", payload()),
                "unsupported-crit"));
        attacks.add(token("crit b64 false (RFC 7797)", () -> signRaw(Keys.RSA,
                "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"b64\":false,\"crit\":[\"b64\"]}", payload()),
                "unsupported-crit", "malformed"));
        attacks.add(token("duplicate claim: groups twice", () -> realRaw(claimsWith("\"groups\":[\"admins\"]")),
                "malformed"));
        attacks.add(token("duplicate claim hidden by an escape: sub", () -> realRaw(claimsWith(
                "\"\\u0073ub\":\"admin\"")), "malformed"));
        attacks.add(token("duplicate header member: alg twice", () -> raw(
                "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"alg\":\"none\"}", payload(), fakeSig), "malformed"));
        attacks.add(token("group with a zero-width space", () -> realSigned(claims(NOW).claim("groups",
                List.of("admins\u200b"))), "malformed-claim"));
        attacks.add(token("group with a NUL", () -> realSigned(claims(NOW).claim("groups", List.of("admins\u0000x"))),
                "malformed-claim"));
        attacks.add(token("groups a string", () -> realSigned(claims(NOW).claim("groups", "admins")), "malformed-claim"));
        attacks.add(token("groups an object", () -> realSigned(claims(NOW).claim("groups", Map.of("admins", true))),
                "malformed-claim"));
        attacks.add(token("groups holding a number", () -> realSigned(claims(NOW).claim("groups", List.of("a", 7))),
                "malformed-claim"));
        attacks.add(token("realm_access a string", () -> realSigned(claims(NOW).claim("realm_access", "admin")),
                "malformed-claim"));
        attacks.add(token("client roles a string", () -> realSigned(claims(NOW).claim("resource_access",
                Map.of("chat", Map.of("roles", "admin")))), "malformed-claim"));
        attacks.add(token("sub missing", () -> realSigned(claims(NOW).subject(null)), "missing-claim"));
        attacks.add(token("sub empty", () -> realSigned(claims(NOW).subject("")), "missing-claim"));

        // Encoding, size and parsing (RFC 7519 §7.2; CVE-2025-53864)
        attacks.add(token("signature in the base64 (not base64url) alphabet", () -> {
            String t = realSigned(claims(NOW));
            return t.substring(0, t.length() - 1) + "+";
        }, "malformed"));
        attacks.add(token("padding on the payload", () -> {
            String[] p = realSigned(claims(NOW)).split("\\.");
            return p[0] + "." + p[1] + "==." + p[2];
        }, "malformed"));
        attacks.add(request("whitespace inside the token", () -> {
            String t = realSigned(claims(NOW));
            return bearer(t.substring(0, 20) + " " + t.substring(20));
        }, "malformed"));
        attacks.add(request("newline inside the token", () -> {
            String t = realSigned(claims(NOW));
            return bearer(t.substring(0, 20) + "\n" + t.substring(20));
        }, "malformed"));
        attacks.add(token("a fourth segment", () -> realSigned(claims(NOW)) + ".eyJ9", "malformed"));
        attacks.add(token("a trailing dot", () -> realSigned(claims(NOW)) + ".", "malformed"));
        attacks.add(token("byte order mark before the payload", () -> realRaw("\ufeff" + payload()), "malformed"));
        attacks.add(token("invalid UTF-8 in the payload", () -> {
            String header = b64(rsaHeader);
            byte[] body = (claimsWith("\"name\":\"X\"")).getBytes(StandardCharsets.UTF_8);
            int at = new String(body, StandardCharsets.UTF_8).indexOf("\"X\"") + 1;
            body[at] = (byte) 0xC3; // a lead byte with no continuation
            return header + "." + b64(body) + "." + fakeSig;
        }, "malformed"));
        attacks.add(token("token of 16 KiB + 1", () -> "e".repeat(16 * 1024 + 1), "too-large"));
        attacks.add(token("token of 1 MiB", () -> "e".repeat(1024 * 1024), "too-large"));
        attacks.add(token("claims nested 20 deep", () -> realRaw(claimsWith("\"deep\":" + "{\"a\":".repeat(20) + "1"
                + "}".repeat(20))), "malformed"));
        attacks.add(token("arrays nested 5000 deep", () -> raw(rsaHeader, claimsWith("\"deep\":" + "[".repeat(5000)
                + "]".repeat(5000)), fakeSig), "malformed"));
        attacks.add(token("1100 claims", () -> {
            StringBuilder many = new StringBuilder();
            for (int i = 0; i < 1100; i++) {
                many.append(i == 0 ? "" : ",").append("\"c").append(i).append("\":0");
            }
            return raw(rsaHeader, claimsWith(many.toString()), fakeSig);
        }, "malformed"));
        attacks.add(token("payload a JSON array", () -> realRaw("[" + payload() + "]"), "malformed"));
        attacks.add(token("payload null", () -> realRaw("null"), "malformed"));
        attacks.add(token("header not JSON", () -> b64("alg=RS256") + "." + b64(payload()) + "." + fakeSig, "malformed"));
        attacks.add(token("three empty parts", () -> "..", "malformed"));
        attacks.add(request("two Authorization headers", () -> TestExchange.post("/v1/chat/completions")
                .header("Authorization", "Bearer " + realSigned(claims(NOW)))
                .header("Authorization", "Bearer " + attackerKid("rsa-1")).build(), "multiple-credentials"));
        attacks.add(request("token in the URL", () -> TestExchange.post("/v1/models?access_token="
                + realSigned(claims(NOW))).build(), "token-in-url"));
        attacks.add(request("token in a cookie only", () -> TestExchange.post("/v1/models")
                .header("Cookie", "access_token=" + realSigned(claims(NOW))).build(), "missing-token"));
        attacks.add(request("token under the Basic scheme", () -> TestExchange.post("/v1/models")
                .header("Authorization", "Basic " + realSigned(claims(NOW))).build(), "missing-token"));
        attacks.add(request("token in X-Forwarded-Authorization only", () -> TestExchange.post("/v1/models")
                .header("X-Forwarded-Authorization", "Bearer " + realSigned(claims(NOW))).build(), "missing-token"));
        attacks.add(request("Bearer with no token", () -> TestExchange.post("/v1/models")
                .header("Authorization", "Bearer").build(), "malformed"));

        // Weak HMAC secrets (jwt_tool's crack list): each a token under the real kid
        for (String secret : CommonSecrets.ALL) {
            attacks.add(token("HS256 with the common secret '" + secret + "'",
                    () -> hs256("rsa-1", secret.getBytes(StandardCharsets.UTF_8)), "alg-not-allowed"));
        }
        return attacks;
    }

    @TestFactory
    Stream<DynamicTest> noAttackTokenIsAccepted() {
        return catalogue().stream().map(attack -> DynamicTest.dynamicTest(attack.name(), () -> {
            CASES.incrementAndGet();
            Outcome outcome = harness.request(attack.request().get());
            if (!(outcome instanceof Outcome.Deny deny)) {
                ACCEPTED.incrementAndGet();
                throw new AssertionError("accepted: " + attack.name());
            }
            if (!attack.reasons().contains(deny.rule().rule())) {
                WRONG_REASON.add(attack.name() + " -> " + deny.rule().rule());
            }
            assertThat(deny.rule().rule()).as(attack.name()).isIn(attack.reasons());
            assertThat(deny.status()).as(attack.name()).isIn(400, 401);
            assertThat(deny.headers()).as(attack.name()).containsKey("WWW-Authenticate");
        }));
    }

    @Test
    void positiveControlsGenuineTokensOfBothProvidersAreAccepted() {
        assertThat(harness.request(bearer(realSigned(claims(NOW).jwtID("control-1"))))).isSameAs(Outcome.proceed());
        assertThat(harness.request(bearer(Keys.sign(Keys.RSA, JWSAlgorithm.PS256, claims(NOW).build()))))
                .isSameAs(Outcome.proceed());
        assertThat(harness.request(bearer(Keys.sign(Keys.EC, JWSAlgorithm.ES256, claims(NOW).build()))))
                .isSameAs(Outcome.proceed());
        assertThat(harness.request(bearer(Keys.sign(Keys.RSA_RS256_ONLY, JWSAlgorithm.RS256, claims(NOW).build()))))
                .isSameAs(Outcome.proceed());
        assertThat(harness.request(bearer(Keys.sign(Keys.OTHER, JWSAlgorithm.RS256, claims(NOW).issuer(OTHER_ISSUER)
                .build())))).isSameAs(Outcome.proceed());
        assertThat(harness.request(bearer(realRaw(payload().replace("\"", "\"").replace("{", "{ "))))).as(
                "insignificant whitespace in the JSON").isSameAs(Outcome.proceed());
    }

    @Test
    void headersCarryingIdentityAreNeverReadAndThePolicySeesOnlyTheTokensGroups() {
        TestExchange exchange = TestExchange.post("/v1/chat/completions")
                .header("Authorization", "Bearer " + realSigned(claims(NOW).jwtID("low-priv")))
                .header("X-Forwarded-Groups", "admins").header("X-Auth-Request-Groups", "admins")
                .header("X-Forwarded-User", "root").build();

        assertThat(harness.request(exchange)).isSameAs(Outcome.proceed());

        assertThat(exchange.identity().orElseThrow().groups()).containsExactly("analysts");
        assertThat(exchange.identity().orElseThrow().username()).isEqualTo("alice");
    }
}
