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
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Nimbus's claims verifier (exact {@code iss}, {@code aud} containing one accepted value, required
 * {@code exp}, {@code sub}; {@code exp}/{@code nbf} with clock skew) on the endpoint's clock, preceded
 * by the same checks made here first so each failure gets its own reason code and a detail that says
 * what to do. Also refuses an {@code iat} in the future beyond the skew, which Nimbus does not check.
 */
final class ClaimsVerifier extends DefaultJWTClaimsVerifier<VerificationContext> {

    private final String issuer;
    private final List<String> audiences;
    private final String audiencesText;
    private final int skewSeconds;
    private final Clock clock;

    ClaimsVerifier(AuthConfig config, Clock clock) {
        super(new HashSet<>(config.audiences()), new JWTClaimsSet.Builder().issuer(config.issuer()).build(),
                Set.of("exp", "sub"), null);
        this.issuer = config.issuer();
        this.audiences = config.audiences();
        this.audiencesText = String.join(", ", config.audiences());
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
        checkIssuerAndAudience(claims);
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        if (exp == null) {
            throw new Rejected("missing-claim",
                    "the token has no expiry (exp); this endpoint accepts only tokens that expire");
        }
        if (claims.getSubject() == null || claims.getSubject().isBlank()) {
            throw new Rejected("missing-claim",
                    "the token has no subject (sub); this endpoint needs it to identify the caller");
        }
        if (!exp.toInstant().plusSeconds(skewSeconds).isAfter(now)) {
            throw new Rejected("expired", "the token expired at " + exp.toInstant() + "; get a new token");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && !nbf.toInstant().minusSeconds(skewSeconds).isBefore(now)) {
            throw new Rejected("not-yet-valid", "the token is not valid before " + nbf.toInstant()
                    + " (nbf); wait until then, or check the clock of the identity provider");
        }
        Date iat = claims.getIssueTime();
        if (iat != null && iat.toInstant().minusSeconds(skewSeconds).isAfter(now)) {
            throw new Rejected("issued-in-future", "the token was issued at " + iat.toInstant()
                    + " (iat), in the future; check the clocks of the gateway and the identity provider");
        }
        try {
            super.verify(claims, context);
        } catch (BadJWTException e) {
            throw new Rejected("invalid-claims", "the claims of the token were rejected (" + e.getMessage()
                    + "); get a new token");
        }
    }

    private void checkIssuerAndAudience(JWTClaimsSet claims) throws Rejected {
        String iss = claims.getIssuer();
        if (iss == null) {
            throw new Rejected("wrong-issuer",
                    "the token has no issuer (iss); this endpoint accepts only tokens issued by " + issuer);
        }
        if (!iss.equals(issuer)) {
            throw new Rejected("wrong-issuer", "the token was issued by " + AuthRejection.safe(iss)
                    + "; this endpoint accepts only tokens issued by " + issuer);
        }
        List<String> aud = claims.getAudience();
        if (aud.isEmpty()) {
            throw new Rejected("wrong-audience", "the token has no audience (aud); this endpoint accepts only tokens"
                    + " for " + audiencesText + ": have the identity provider add it to the token");
        }
        if (Collections.disjoint(aud, audiences)) {
            String given = aud.stream().map(AuthRejection::safe).limit(5).collect(Collectors.joining(", "));
            throw new Rejected("wrong-audience", "the token is for " + given
                    + "; this endpoint accepts only tokens for " + audiencesText);
        }
    }
}
