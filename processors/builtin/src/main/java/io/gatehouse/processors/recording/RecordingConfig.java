package io.gatehouse.processors.recording;

import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.ConfigException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Config of the {@code recording} step. Every component may be left out.
 *
 * <pre>{@code
 * - recording:
 *     maxBodyBytes: 64KiB
 *     redactHeaders: [X-Internal-Token]
 *     redactJsonFields: [/api_key, /messages/*\/content]
 *     retentionDays: 90
 *     masking:                      # store bodies with personal data and secrets masked
 *       detectors: { email: redact, credit-card: redact }
 * }</pre>
 *
 * <p>Named headers and JSON fields are always left out, and bodies cut to size. With {@code masking},
 * the stored bodies are also pattern-masked, whatever the {@code masking} step did to what the
 * client got (docs/recording.md).
 *
 * @param maxBodyBytes     most bytes of each body kept in the record (request; response, whole or
 *                         all chunks of a stream together); the record notes the original size and
 *                         that it was truncated. Default 64KiB; 0 keeps sizes only; at most 16MiB
 * @param redactHeaders    headers whose values are never recorded, besides those that always are:
 *                         Authorization, Proxy-Authorization, Cookie, Set-Cookie, X-Api-Key
 * @param redactJsonFields JSON Pointers (RFC 6901) whose values are replaced by {@code "[redacted]"}
 *                         in JSON bodies (request, whole response, and each {@code data:} line of an
 *                         event stream); a {@code *} segment stands for every array element or field
 * @param retentionDays    days this endpoint's records keep their content; absent keeps it forever
 * @param masking          masks personal data and secrets in the stored request and response bodies, with
 *                         the keys of the {@code masking} step less request, response and exemptGroups;
 *                         absent stores bodies without pattern masking
 */
public record RecordingConfig(ByteSize maxBodyBytes, List<String> redactHeaders, List<String> redactJsonFields,
                              Integer retentionDays, RecordingMaskingConfig masking) {

    public static final ByteSize DEFAULT_MAX_BODY_BYTES = ByteSize.ofBytes(64 * 1024);
    public static final long MAX_BODY_BYTES_LIMIT = 16L * 1024 * 1024;
    /** Headers whose values are never recorded, whatever the config says. */
    public static final List<String> ALWAYS_REDACTED = List.of("Authorization", "Proxy-Authorization", "Cookie",
            "Set-Cookie", "X-Api-Key");

    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    public RecordingConfig {
        maxBodyBytes = maxBodyBytes == null ? DEFAULT_MAX_BODY_BYTES : maxBodyBytes;
        if (maxBodyBytes.bytes() > MAX_BODY_BYTES_LIMIT) {
            throw new ConfigException("maxBodyBytes", "must be at most 16MiB, got " + maxBodyBytes);
        }
        redactHeaders = redactHeaders == null ? List.of() : List.copyOf(redactHeaders);
        for (String name : redactHeaders) {
            if (name == null || !TOKEN.matcher(name).matches()) {
                throw new ConfigException("redactHeaders", "'" + name + "' is not a header name");
            }
        }
        redactJsonFields = redactJsonFields == null ? List.of() : List.copyOf(redactJsonFields);
        for (String pointer : redactJsonFields) {
            JsonRedactor.parse(pointer); // throws ConfigException naming the field
        }
        if (retentionDays != null && (retentionDays < 1 || retentionDays > 36500)) {
            throw new ConfigException("retentionDays", "must be between 1 and 36500, got " + retentionDays);
        }
    }

    public static RecordingConfig defaults() {
        return new RecordingConfig(null, null, null, null, null);
    }

    /** Lower-case names of every header whose value is never recorded. */
    List<String> redactedHeaderNames() {
        return java.util.stream.Stream.concat(ALWAYS_REDACTED.stream(), redactHeaders.stream())
                .map(n -> n.toLowerCase(Locale.ROOT)).distinct().toList();
    }
}
