package io.gatehouse.processors.auth;

import com.nimbusds.jwt.proc.BadJWTException;

/** Thrown from inside Nimbus (type and claims checks) to carry a reason code and a detail out. */
final class Rejected extends BadJWTException {

    private final String reason;
    private final String detail;

    Rejected(String reason, String detail) {
        super(reason + ": " + detail);
        this.reason = reason;
        this.detail = detail;
    }

    AuthRejection toRejection() {
        return AuthRejection.invalidToken(reason, detail);
    }
}
