package io.gatehouse.processors.auth;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzzing of the JWT front-end checks (bearer extraction's token syntax, the strict
 * compact JWS split): any input is either taken apart or refused with an {@link AuthRejection}; any
 * other exception is a finding. Regression mode (every build) replays the corpus in
 * {@code src/test/resources/io/gatehouse/processors/auth/JwtFrontEndFuzzTestInputs}; fuzzing mode runs
 * with {@code JAZZER_FUZZ=1} (see the pom's {@code fuzz} profile).
 */
class JwtFrontEndFuzzTest {

    @FuzzTest(maxDuration = "20s")
    void anyTokenIsTakenApartOrRefusedWithAnAuthRejection(FuzzedDataProvider data) {
        String token = data.consumeRemainingAsString();
        BearerToken.isB64Token(token);
        if (!CompactJws.looksLikeJwt(token)) {
            return;
        }
        try {
            if (CompactJws.parse(token) == null) {
                throw new IllegalStateException("parse returned null for a token it accepted");
            }
        } catch (AuthRejection refused) {
            // what the front end is for
        }
    }
}
