package io.gatehouse.processors.auth;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import java.time.Clock;
import java.time.Instant;
import java.util.Collections;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The claims rules of one provider: exact {@code iss}; {@code aud} holding one accepted audience (a
 * token without {@code aud} is refused); {@code exp} required; {@code nbf} and {@code iat} honoured
 * with the clock skew; a payload {@code typ} other than {@code Bearer} refused (Keycloak marks ID
 * tokens {@code ID} and refresh tokens {@code Refresh}: only access tokens open an endpoint). Each
 * failure gets its own reason code and a detail that says what to do; Nimbus's own claims verifier
 * runs after, as a second line.
 */
final class ClaimsVerifier extends DefaultJWTClaimsVerifier<VerificationContext> {

    private final String issuer;
    private final List<String> audiences;
    private final String audiencesText;
    private final String subjectClaim;
    private final int skewSeconds;
    private final Clock clock;

    ClaimsVerifier(ProviderConfig config, Clock clock) {
        super(new HashSet<>(config.audiences()), new JWTClaimsSet.Builder().issuer(config.issuer()).build(),
                Set.of("exp"), null);
        this.issuer = config.issuer();
        this.audiences = config.audiences();
        this.audiencesText = String.join(", ", config.audiences());
        this.subjectClaim = config.claims().subject();
        this.skewSeconds = (int) config.clockSkew().toSeconds();
        this.clock = clock;
        setMaxClockSkew(skewSeconds);
    }

    @Override
    protected Date currentTime() {
        return Date.from(clock.instant());
    }

    @Override
    public void verify(JWTClaimsSet claims, VerificationContext context) throws BadJWTException {
        check(claims);
        try {
            super.verify(claims, context);
        } catch (BadJWTException e) {
            throw new Rejected("invalid-claims", "the claims of the token were rejected (" + e.getMessage()
                    + "); get a new token");
        }
    }

    /** The rules, also used for introspection answers. */
    void check(JWTClaimsSet claims) throws Rejected {
        checkIssuer(claims.getIssuer());
        checkAudience(claims.getAudience());
        Object typ = claims.getClaim("typ");
        if (typ != null && !(typ instanceof String t && t.toLowerCase(Locale.ROOT).equals("bearer"))) {
            throw new Rejected("wrong-type", "the token is of type " + AuthRejection.safe(String.valueOf(typ))
                    + " (typ claim), not an access token (Bearer); send the access token, not an ID or refresh token");
        }
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            throw new Rejected("missing-claim", "the token has no expiry (exp); only tokens that expire are accepted");
        }
        if (!exp.toInstant().plusSeconds(skewSeconds).isAfter(now)) {
            throw new Rejected("expired", "the token expired at " + exp.toInstant() + "; get a new token");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && nbf.toInstant().minusSeconds(skewSeconds).isAfter(now)) {
            throw new Rejected("not-yet-valid", "the token is not valid before " + nbf.toInstant()
                    + " (nbf); wait until then, or check the clock of the identity provider");
        }
        Date iat = claims.getIssueTime();
        if (iat != null && iat.toInstant().minusSeconds(skewSeconds).isAfter(now)) {
            throw new Rejected("issued-in-future", "the token was issued at " + iat.toInstant()
                    + " (iat), in the future; check the clocks of the gateway and the identity provider");
        }
        Object subject = IdentityMapper.resolve(claims.getClaims(), subjectClaim);
        if (!(subject instanceof String s) || s.isBlank()) {
            throw new Rejected("missing-claim", "the token has no subject (" + AuthRejection.safe(subjectClaim)
                    + "); it is needed to identify the caller");
        }
    }

    private void checkIssuer(String iss) throws Rejected {
        if (iss == null) {
            throw new Rejected("wrong-issuer", "the token has no issuer (iss); only tokens issued by " + issuer
                    + " are accepted here");
        }
        if (!iss.equals(issuer)) {
            throw new Rejected("wrong-issuer", "the token was issued by " + AuthRejection.safe(iss)
                    + "; only tokens issued by " + issuer + " are accepted here");
        }
    }

    private void checkAudience(List<String> aud) throws Rejected {
        if (aud.isEmpty()) {
            throw new Rejected("wrong-audience", "the token has no audience (aud); only tokens for " + audiencesText
                    + " are accepted: have the identity provider add it to the token (Keycloak: an audience mapper)");
        }
        if (Collections.disjoint(aud, audiences)) {
            String given = aud.stream().map(AuthRejection::safe).limit(5).collect(Collectors.joining(", "));
            throw new Rejected("wrong-audience", "the token is for " + given + "; only tokens for " + audiencesText
                    + " are accepted");
        }
    }
}
