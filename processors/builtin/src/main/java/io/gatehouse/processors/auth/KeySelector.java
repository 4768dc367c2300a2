package io.gatehouse.processors.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import java.security.Key;
import java.util.List;
import java.util.Set;

/**
 * Selects verification keys from the provider's JWKS only, by {@code kid} and algorithm. Header
 * parameters that point elsewhere ({@code jku}, {@code x5u}, {@code jwk}, {@code x5c}) are never
 * looked at, and a {@code kid} is only ever compared with the ids of the keys in hand (never used as
 * a path, a query or a URL). Beyond Nimbus's own matching it takes public signature keys only, RSA
 * keys of 2048 bits or more, EC keys on the curve the algorithm names, and a key that declares an
 * {@code alg} only with that algorithm (RFC 8725 §3.1).
 */
final class KeySelector extends JWSVerificationKeySelector<VerificationContext> {

    static final int MIN_RSA_BITS = 2048;

    KeySelector(Set<JWSAlgorithm> algorithms, JWKSource<VerificationContext> source) {
        super(algorithms, source);
    }

    @Override
    protected JWKMatcher createJWKMatcher(JWSHeader header) {
        JWSAlgorithm alg = header.getAlgorithm();
        if (!isAllowed(alg)) {
            return null;
        }
        JWKMatcher.Builder matcher = new JWKMatcher.Builder()
                .keyType(KeyType.forAlgorithm(alg))
                .keyID(header.getKeyID())
                .keyUses(KeyUse.SIGNATURE, null)
                .algorithms(alg, null)
                .publicOnly(true);
        if (JWSAlgorithm.Family.RSA.contains(alg)) {
            matcher.minKeySize(MIN_RSA_BITS);
        } else if (JWSAlgorithm.Family.EC.contains(alg)) {
            matcher.curves(Curve.forJWSAlgorithm(alg));
        }
        return matcher.build();
    }

    @Override
    public List<Key> selectJWSKeys(JWSHeader header, VerificationContext context) throws KeySourceException {
        List<Key> keys = super.selectJWSKeys(header, context);
        context.keysFound(keys.size());
        return keys;
    }
}
