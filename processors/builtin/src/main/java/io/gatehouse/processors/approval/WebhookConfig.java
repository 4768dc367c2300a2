package io.gatehouse.processors.approval;

import io.gatehouse.processors.support.Durations;
import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.Secret;
import io.gatehouse.spi.approval.ApprovalEvent;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * One webhook told of approval events. Notifications name the approval, its summary, requester,
 * approvers and decision; never the request body.
 *
 * <pre>{@code
 * approvals:
 *   webhooks:
 *     slack: { url: env:SLACK_WEBHOOK_URL, format: slack }
 *     audit: { url: file:/run/secrets/hook-url, format: json, secret: env:HOOK_SECRET }
 * }</pre>
 *
 * @param url            where to POST (a secret reference: a Slack webhook URL is a credential)
 * @param format         {@code slack} (an incoming-webhook {@code {"text": ...}} message) or {@code json}
 * @param secret         HMAC-SHA256 key: each POST carries {@code Gatehouse-Signature: t=<unix seconds>,
 *                       v1=<hex HMAC of "t.body">}; required for {@code json}
 * @param events         which events; default requested, approved, denied, expired, break-glass
 * @param maxAttempts    deliveries tried before giving up; default 5 (1 to 20)
 * @param initialBackoff wait before the first retry, doubled each time up to 5m; default 1s
 * @param timeout        per attempt; default 10s
 */
public record WebhookConfig(Secret url, Format format, Secret secret, Set<String> events, Integer maxAttempts,
                            Duration initialBackoff, Duration timeout) {

    public enum Format { SLACK, JSON }

    /** A break-glass use, announced the moment it is recorded. */
    static final String BREAK_GLASS = "break-glass";

    static final Set<String> EVENTS = java.util.stream.Stream.concat(Arrays.stream(ApprovalEvent.Kind.values())
            .map(ApprovalEvent.Kind::wireName), java.util.stream.Stream.of(BREAK_GLASS))
            .collect(Collectors.toCollection(TreeSet::new));

    public WebhookConfig {
        if (url == null) {
            throw new ConfigException("url", "name where to POST, as a secret reference: env:NAME or file:/path");
        }
        URI uri;
        try {
            uri = URI.create(url.reveal().trim());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("url", "the value of " + url.reference() + " is not a URL");
        }
        if (uri.getScheme() == null || !(uri.getScheme().equals("https") || uri.getScheme().equals("http"))
                || uri.getHost() == null) {
            throw new ConfigException("url", "the value of " + url.reference() + " must be an http(s) URL");
        }
        format = format == null ? Format.JSON : format;
        if (format == Format.JSON && secret == null) {
            throw new ConfigException("secret", "a json webhook is signed: give secret: env:NAME (the HMAC key)");
        }
        events = events == null ? Set.of("requested", "approved", "denied", "expired", BREAK_GLASS)
                : Set.copyOf(events);
        for (String e : events) {
            if (!EVENTS.contains(e)) {
                throw new ConfigException("events", "'" + e + "' is not an approval event (expected one of "
                        + String.join(", ", EVENTS) + ")");
            }
        }
        maxAttempts = maxAttempts == null ? 5 : maxAttempts;
        if (maxAttempts < 1 || maxAttempts > 20) {
            throw new ConfigException("maxAttempts", "must be between 1 and 20, got " + maxAttempts);
        }
        initialBackoff = initialBackoff == null ? Duration.ofSeconds(1) : initialBackoff;
        if (initialBackoff.toMillis() < 10 || initialBackoff.compareTo(Duration.ofMinutes(5)) > 0) {
            throw new ConfigException("initialBackoff", "must be between 10ms and 5m, got "
                    + Durations.format(initialBackoff));
        }
        timeout = timeout == null ? Duration.ofSeconds(10) : timeout;
        if (timeout.toMillis() < 100 || timeout.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new ConfigException("timeout", "must be between 100ms and 1m, got " + Durations.format(timeout));
        }
    }

    URI uri() {
        return URI.create(url.reveal().trim());
    }
}
