package io.gatehouse.it.identity;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s), keyed as Keycloak keys an OTP secret without an encoding: its UTF-8 bytes. */
public final class Totp {

    private Totp() {
    }

    private static final java.util.Map<String, Long> LAST_STEP = new java.util.HashMap<>();

    /**
     * The code of the current 30 s step, each step's code handed out once per secret: Keycloak refuses a code
     * that was used before, so when this step's code is gone this waits for the next step.
     */
    public static synchronized String now(String secret) {
        long step = System.currentTimeMillis() / 1000 / 30;
        Long last = LAST_STEP.get(secret);
        if (last != null && step <= last) {
            long nextStepAt = (last + 1) * 30_000;
            try {
                Thread.sleep(Math.max(0, nextStepAt - System.currentTimeMillis()) + 100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the next TOTP step", e);
            }
            step = System.currentTimeMillis() / 1000 / 30;
        }
        LAST_STEP.put(secret, step);
        return code(secret, step);
    }

    private static String code(String secret, long step) {
        try {
            Mac mac = Mac.getInstance("HmacSHA1");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
            byte[] hash = mac.doFinal(ByteBuffer.allocate(8).putLong(step).array());
            int offset = hash[hash.length - 1] & 0xf;
            int binary = ((hash[offset] & 0x7f) << 24) | ((hash[offset + 1] & 0xff) << 16)
                    | ((hash[offset + 2] & 0xff) << 8) | (hash[offset + 3] & 0xff);
            return String.format("%06d", binary % 1_000_000);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
