package io.gatehouse.processors.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JOSEObjectTypeVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.time.Clock;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Verifies a JWS of one provider with Nimbus: the header first (algorithm allow-list, no
 * {@code crit}, {@code typ}), then {@link DefaultJWTProcessor} with that provider's keys only and its
 * {@link ClaimsVerifier}. Every failure becomes an {@link AuthRejection} with its own reason. Fails
 * closed: without keys nothing is accepted. Thread-safe.
 */
final class JwtVerifier {

    private static final Set<String> DEFAULT_TYPES = Set.of("jwt", "at+jwt");

    private final String name;
    private final ProviderConfig config;
    private final ProviderKeys keys;
    private final ClaimsVerifier claims;
    private final DefaultJWTProcessor<VerificationContext> processor = new DefaultJWTProcessor<>();
    private final String acceptedAlgorithms;
    private final Set<String> types;

    JwtVerifier(String name, ProviderConfig config, ProviderKeys keys, Clock clock) {
        this.name = name;
        this.config = config;
        this.keys = keys;
        this.claims = new ClaimsVerifier(config, clock);
        this.acceptedAlgorithms = String.join(", ", config.algorithms());
        this.types = config.tokenTypes() == null ? DEFAULT_TYPES
                : config.tokenTypes().stream().map(JwtVerifier::normalType).collect(Collectors.toUnmodifiableSet());
        Set<JWSAlgorithm> algorithms = config.algorithms().stream().map(JWSAlgorithm::parse).collect(Collectors.toSet());
        JOSEObjectTypeVerifier<VerificationContext> typeVerifier = (type, context) -> {
            String problem = typeProblem(type);
            if (problem != null) {
                throw new Rejected("wrong-type", problem);
            }
        };
        processor.setJWSTypeVerifier(typeVerifier);
        processor.setJWSKeySelector(new KeySelector(algorithms, keys));
        processor.setJWTClaimsSetVerifier(claims);
    }

    ClaimsVerifier claims() {
        return claims;
    }

    /** Verifies signature and claims; returns the claims. */
    JWTClaimsSet verify(SignedJWT jwt) throws AuthRejection {
        checkHeader(jwt.getHeader());
        VerificationContext context = new VerificationContext();
        try {
            return processor.process(jwt, context);
        } catch (Rejected r) {
            throw r.toRejection();
        } catch (ProviderKeys.Unavailable e) {
            throw AuthRejection.unavailable(e.getMessage(), config.jwks().refreshInterval());
        } catch (KeySourceException e) {
            throw AuthRejection.unavailable("the signing keys of identity provider '" + name + "' cannot be used ("
                    + e.getMessage() + ")", config.jwks().refreshInterval());
        } catch (BadJOSEException | JOSEException e) {
            throw context.keysFound() <= 0 ? unknownKey(jwt.getHeader()) : badSignature(jwt.getHeader());
        }
    }

    private void checkHeader(JWSHeader header) throws AuthRejection {
        String alg = header.getAlgorithm().getName();
        if (!config.algorithms().contains(alg)) {
            throw AuthRejection.invalidToken("alg-not-allowed", "the token is signed with " + AuthRejection.safe(alg)
                    + "; identity provider '" + name + "' is trusted only with " + acceptedAlgorithms + " (algorithms)");
        }
        if (header.getCriticalParams() != null && !header.getCriticalParams().isEmpty()) {
            String crit = header.getCriticalParams().stream().sorted().map(AuthRejection::safe).limit(5)
                    .collect(Collectors.joining(", "));
            throw AuthRejection.invalidToken("unsupported-crit", "the token marks header parameters as critical ("
                    + crit + "); the gateway understands none, so it cannot accept the token");
        }
        String problem = typeProblem(header.getType());
        if (problem != null) {
            throw AuthRejection.invalidToken("wrong-type", problem);
        }
    }

    private String typeProblem(JOSEObjectType type) {
        if (type == null) {
            return config.tokenTypes() == null ? null : "the token has no type (typ); identity provider '" + name
                    + "' is trusted only with tokens of type " + String.join(", ", config.tokenTypes());
        }
        if (types.contains(normalType(type.getType()))) {
            return null;
        }
        String expected = config.tokenTypes() == null ? "JWT or at+jwt" : String.join(", ", config.tokenTypes());
        return "the token has type " + AuthRejection.safe(type.getType()) + "; only access tokens of type " + expected
                + " are accepted";
    }

    /** RFC 7515 §4.1.9: compare case-insensitively, with or without {@code application/}. */
    private static String normalType(String type) {
        String t = type.toLowerCase(Locale.ROOT);
        return t.startsWith("application/") ? t.substring("application/".length()) : t;
    }

    private static AuthRejection unknownKey(JWSHeader header) {
        String kid = header.getKeyID();
        String key = kid == null ? "the token names no key id (kid) and no key of its identity provider fits it"
                : "the signing key of the token (kid " + AuthRejection.safe(kid) + ") is not one of the keys of its"
                        + " identity provider";
        return AuthRejection.invalidToken("unknown-key", key + "; get a new token");
    }

    private AuthRejection badSignature(JWSHeader header) {
        String kid = header.getKeyID() == null ? "" : " (kid " + AuthRejection.safe(header.getKeyID()) + ")";
        return AuthRejection.invalidToken("bad-signature", "the signature of the token does not verify with the"
                + " key of its identity provider" + kid + "; the token was altered or not issued by " + config.issuer());
    }
}
