package io.gatehouse.processors.auth;

import com.nimbusds.jose.proc.SecurityContext;

/** Per-verification state, so a failure can be told apart: no key found versus a signature that fails. */
final class VerificationContext implements SecurityContext {

    private int keysFound = -1;

    void keysFound(int count) {
        keysFound = count;
    }

    /** How many candidate keys the selector returned; -1 when selection did not complete. */
    int keysFound() {
        return keysFound;
    }
}
