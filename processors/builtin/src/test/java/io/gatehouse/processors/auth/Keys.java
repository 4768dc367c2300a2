package io.gatehouse.processors.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.util.function.UnaryOperator;

/** Keys generated once per test run, and signing helpers. */
final class Keys {

    static final RSAKey RSA = rsa("rsa-1", 2048);
    static final RSAKey RSA_ROTATED = rsa("rsa-2", 2048);
    /** Another key pair that claims the same kid as {@link #RSA}. */
    static final RSAKey RSA_IMPOSTOR = rsa("rsa-1", 2048);
    static final RSAKey ATTACKER = rsa("attacker", 2048);
    static final ECKey EC = ec("ec-1");
    /** A key of another identity provider (issuer {@code https://idp.test/realms/other}). */
    static final RSAKey OTHER = rsa("other-1", 2048);
    /** A key that declares it is for RS256 only. */
    static final RSAKey RSA_RS256_ONLY = new RSAKey.Builder(rsa("rsa-alg", 2048)).algorithm(JWSAlgorithm.RS256).build();
    static final ECKey ATTACKER_EC = ec("attacker-ec");

    static RSAKey rsa(String kid, int bits) {
        try {
            return new RSAKeyGenerator(bits, bits < 2048).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The same key pair under another kid. */
    static RSAKey rsaWithKid(RSAKey key, String kid) {
        return new RSAKey.Builder(key).keyID(kid).build();
    }

    static ECKey ec(String kid) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sign(JWK key, JWSAlgorithm alg, JWTClaimsSet claims) {
        return sign(key, alg, claims, header -> header);
    }

    /** Signs with {@code key}; the header names the key's kid and type JWT unless {@code header} changes it. */
    static String sign(JWK key, JWSAlgorithm alg, JWTClaimsSet claims, UnaryOperator<JWSHeader.Builder> header) {
        try {
            JWSSigner signer = key instanceof RSAKey rsa ? new RSASSASigner(rsa, true) : new ECDSASigner((ECKey) key);
            return sign(signer, header.apply(new JWSHeader.Builder(alg).keyID(key.getKeyID()).type(JOSEObjectType.JWT))
                    .build(), claims);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sign(JWSSigner signer, JWSHeader header, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(header, claims);
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private Keys() {
    }
}
