package io.gatehouse.processors.auth;

import io.gatehouse.processors.support.Durations;
import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.ConfigException;
import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/** Validation shared by the auth config records; each throws a {@link ConfigException} naming the field. */
final class Checks {

    private Checks() {
    }

    static Duration duration(String field, Duration value, Duration defaultValue, Duration min, Duration max) {
        Duration d = value == null ? defaultValue : value;
        if (d != null && (d.compareTo(min) < 0 || d.compareTo(max) > 0)) {
            throw new ConfigException(field, "must be between " + Durations.format(min) + " and "
                    + Durations.format(max) + ", got " + Durations.format(d));
        }
        return d;
    }

    static ByteSize size(String field, ByteSize value, ByteSize defaultValue, long min, long max) {
        ByteSize s = value == null ? defaultValue : value;
        if (s.bytes() < min || s.bytes() > max) {
            throw new ConfigException(field, "must be between " + min + " and " + max + " bytes, got " + s);
        }
        return s;
    }

    /** An absolute http or https URL with a host and no fragment. */
    static URI httpUrl(String field, URI url, String example) {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!url.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null
                || url.getRawFragment() != null || url.getRawUserInfo() != null) {
            throw new ConfigException(field, "must be an absolute http or https URL without user info or fragment, got '"
                    + url + "' (e.g. " + example + ")");
        }
        return url;
    }

    /** Non-blank strings, sorted, unmodifiable; null stays null. */
    static Set<String> names(String field, Set<String> values) {
        if (values == null) {
            return null;
        }
        for (String v : values) {
            if (v == null || v.isBlank()) {
                throw new ConfigException(field, "must not contain a blank value");
            }
        }
        return Collections.unmodifiableSet(new TreeSet<>(values));
    }

    static List<String> nonBlank(String field, List<String> values) {
        for (String v : values) {
            if (v == null || v.isBlank()) {
                throw new ConfigException(field, "must not contain a blank value");
            }
        }
        return List.copyOf(values);
    }
}
