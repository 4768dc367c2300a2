package io.gatehouse.processors.masking;

import io.gatehouse.spi.Secret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** What a masked value becomes under each strategy. Immutable and thread-safe. */
final class Replacements {

    private static final int HASH_HEX_CHARS = 12;

    private final Mac prototype;

    Replacements(Secret hashKey) {
        if (hashKey == null) {
            prototype = null;
            return;
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(hashKey.reveal().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            prototype = mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }

    /** The replacement of {@code value}, found by {@code detector}. */
    String replace(Detector detector, String value) {
        return replace(detector.strategy, detector.label, detector.id, detector.normalizer.apply(value), value,
                detector.id.equals(Detectors.EMAIL));
    }

    /**
     * @param scope  separates the hashes of different detectors (the same digits as phone and as card hash apart)
     * @param normal the value normalised for hashing (e.g. digits only), so equal values hash equally
     */
    String replace(Strategy strategy, String label, String scope, String normal, String value, boolean email) {
        return switch (strategy) {
            case REDACT, DROP_FIELD -> "[" + label + "]";
            case PARTIAL -> email ? partialEmail(value) : partial(value);
            case HASH -> "[" + label + ":" + hash(scope, normal) + "]";
        };
    }

    /** {@code ****4242}: the last four letters or digits, when the value has at least eight. */
    static String partial(String value) {
        StringBuilder last = new StringBuilder(4);
        int alnum = 0;
        for (int i = value.length() - 1; i >= 0; i--) {
            char c = value.charAt(i);
            if (Character.isLetterOrDigit(c)) {
                alnum++;
                if (last.length() < 4) {
                    last.insert(0, c);
                }
            }
        }
        return alnum >= 8 ? "****" + last : "****";
    }

    /** {@code j***@example.com}. */
    static String partialEmail(String value) {
        int at = value.lastIndexOf('@');
        return at <= 0 ? partial(value) : value.charAt(0) + "***" + value.substring(at);
    }

    private String hash(String scope, String normal) {
        if (prototype == null) {
            throw new IllegalStateException("the hash strategy needs a hashKey");
        }
        Mac mac;
        try {
            mac = (Mac) prototype.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("HmacSHA256 cannot be cloned in this JVM", e);
        }
        mac.update(scope.getBytes(StandardCharsets.UTF_8));
        mac.update((byte) 0);
        byte[] digest = mac.doFinal(normal.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest).substring(0, HASH_HEX_CHARS);
    }
}
