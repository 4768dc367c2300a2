package io.gatehouse.processors.auth;

import com.nimbusds.jwt.SignedJWT;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Base64;

/**
 * Takes a compact JWS apart strictly (RFC 7515 §7.1, RFC 7519 §7.2) before Nimbus sees it: three
 * parts of unpadded base64url, header and payload valid UTF-8 and strict JSON ({@link JsonShape}), a
 * signature present. What is lenient elsewhere (padding, the {@code +/} alphabet, whitespace, a byte
 * order mark, duplicate members, deep nesting) is refused here, so every later step reads exactly
 * one meaning of the token.
 */
final class CompactJws {

    private CompactJws() {
    }

    /** True when the token has the outer shape of a JWT (three or five dot-separated parts). */
    static boolean looksLikeJwt(String token) {
        int dots = 0;
        for (int i = 0; i < token.length(); i++) {
            if (token.charAt(i) == '.') {
                dots++;
            }
        }
        return dots == 2 || dots == 4;
    }

    /** The parsed JWS; nothing is verified yet. */
    static SignedJWT parse(String token) throws AuthRejection {
        String[] parts = token.split("\\.", -1);
        if (parts.length == 5) {
            throw AuthRejection.invalidToken("malformed",
                    "the token is encrypted (JWE); only signed access tokens (JWS) are accepted");
        }
        if (parts.length != 3) {
            throw malformed("it does not have three parts");
        }
        String header = json(parts[0], "header");
        json(parts[1], "payload");
        if (isUnsigned(header)) {
            throw AuthRejection.invalidToken("alg-not-allowed", "the token says it is unsigned (alg none);"
                    + " only signed access tokens are accepted");
        }
        if (parts[2].isEmpty()) {
            throw AuthRejection.invalidToken("malformed", "the token has no signature; only signed access tokens"
                    + " are accepted");
        }
        decode(parts[2], "signature");
        try {
            return SignedJWT.parse(token);
        } catch (ParseException e) {
            throw malformed("its header is not a valid JWS header");
        }
    }

    private static boolean isUnsigned(String header) {
        try {
            Object alg = com.nimbusds.jose.util.JSONObjectUtils.parse(header).get("alg");
            return alg instanceof String s && s.trim().equalsIgnoreCase("none");
        } catch (ParseException e) {
            return false;
        }
    }

    private static String json(String part, String which) throws AuthRejection {
        byte[] bytes = decode(part, which);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw malformed("its " + which + " is not valid UTF-8");
        }
        String problem = JsonShape.problem(text);
        if (problem != null) {
            throw malformed("its " + which + " " + problem);
        }
        return text;
    }

    private static byte[] decode(String part, String which) throws AuthRejection {
        if (part.isEmpty() || part.length() % 4 == 1) {
            throw malformed("its " + which + " is not base64url");
        }
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            boolean ok = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_';
            if (!ok) {
                throw malformed("its " + which + " is not unpadded base64url");
            }
        }
        try {
            return Base64.getUrlDecoder().decode(part);
        } catch (IllegalArgumentException e) {
            throw malformed("its " + which + " is not base64url");
        }
    }

    static AuthRejection malformed(String why) {
        return AuthRejection.invalidToken("malformed", "the token is not a well-formed signed JWT (" + why
                + "); send the access token your identity provider issued");
    }
}
