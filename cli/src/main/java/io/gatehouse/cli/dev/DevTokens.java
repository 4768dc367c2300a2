package io.gatehouse.cli.dev;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;

/** Signs demo tokens shaped like Keycloak's (iss, aud, sub, preferred_username, groups, acr, sid). */
public final class DevTokens {

    private DevTokens() {
    }

    public static String issue(RSAKey key, String issuer, String audience, String user, List<String> groups,
                               Duration ttl, Instant now) {
        return issue(key, issuer, audience, user, groups, List.of(), ttl, now);
    }

    /** A token whose {@code amr} lists the authentication methods, e.g. {@code [pwd, otp]} for a second factor. */
    public static String issue(RSAKey key, String issuer, String audience, String user, List<String> groups,
                               List<String> amr, Duration ttl, Instant now) {
        JWTClaimsSet.Builder builder = new JWTClaimsSet.Builder();
        if (!amr.isEmpty()) {
            builder.claim("amr", amr);
        }
        JWTClaimsSet claims = builder
                .issuer(issuer)
                .audience(audience)
                .subject(UUID.nameUUIDFromBytes(("dev:" + user).getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        .toString())
                .claim("preferred_username", user)
                .claim("groups", groups)
                .claim("azp", "gatehouse-dev")
                .claim("acr", "1")
                .claim("sid", UUID.randomUUID().toString())
                .claim("typ", "Bearer")
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plus(ttl)))
                .jwtID(UUID.randomUUID().toString())
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID())
                .type(JOSEObjectType.JWT).build(), claims);
        try {
            jwt.sign(new RSASSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a dev token", e);
        }
        return jwt.serialize();
    }
}
