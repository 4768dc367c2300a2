package io.gatehouse.agent;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.gatehouse.agent.proto.ForwardRequest;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;

/**
 * The agent's signing key for per-request upstream tokens ({@link UpstreamTokenConfig}): EC P-256, made at start
 * and kept in memory only, so no file, gateway or operator ever holds it; a restart makes a new one (the JWKS then
 * shows the new key, and tokens live at most a minute). Thread-safe.
 */
final class UpstreamTokens {

    private final ECKey key;
    private final ECDSASigner signer;

    private UpstreamTokens(ECKey key) throws JOSEException {
        this.key = key;
        this.signer = new ECDSASigner(key);
    }

    static UpstreamTokens generate() {
        try {
            ECKey key = new ECKeyGenerator(Curve.P_256).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.ES256)
                    .keyIDFromThumbprint(true).generate();
            return new UpstreamTokens(key);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot make the agent's token signing key: " + e.getMessage(), e);
        }
    }

    /** The public key set, as served at the agent's JWKS URL. */
    String jwksJson() {
        return new JWKSet(key.toPublicJWK()).toString(true);
    }

    /**
     * A token for one Forward: {@code sub} and {@code groups} of the caller, {@code gatehouse_request_id},
     * {@code gatehouse_policy}, {@code gatehouse_rule}, {@code gatehouse_approval_id} when there were, and a
     * lifetime of at most 60 s.
     */
    String mint(ForwardRequest request, String service, UpstreamTokenConfig config) {
        Instant now = Instant.now();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issuer(config.issuer())
                .audience(config.audience() == null ? service : config.audience())
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plus(config.ttl())))
                .jwtID(UUID.randomUUID().toString())
                .claim("gatehouse_request_id", request.getRequestId());
        if (request.hasIdentity()) {
            claims.subject(request.getIdentity().getSubject());
            claims.claim("groups", request.getIdentity().getGroupsList());
            if (!request.getIdentity().getClientId().isEmpty()) {
                claims.claim("client_id", request.getIdentity().getClientId());
            }
        }
        if (request.hasDecision()) {
            if (!request.getDecision().getPolicy().isEmpty()) {
                claims.claim("gatehouse_policy", request.getDecision().getPolicy());
                claims.claim("gatehouse_rule", request.getDecision().getRule());
            }
            if (!request.getDecision().getApprovalId().isEmpty()) {
                claims.claim("gatehouse_approval_id", request.getDecision().getApprovalId());
            }
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID())
                .type(JOSEObjectType.JWT).build(), claims.build());
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign the upstream token: " + e.getMessage(), e);
        }
        return jwt.serialize();
    }
}
