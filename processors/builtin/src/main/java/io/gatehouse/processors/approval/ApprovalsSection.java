package io.gatehouse.processors.approval;

import io.gatehouse.spi.ConfigException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code approvals:} section of {@code gateway.yaml}, owned by the {@code approval} step: what
 * every endpoint's approvals share.
 *
 * <pre>{@code
 * approvals:
 *   adminUrl: https://gatehouse-admin.example.com
 *   webhooks:
 *     slack: { url: env:SLACK_WEBHOOK_URL, format: slack }
 * }</pre>
 *
 * @param adminUrl where approvers reach the admin API, for links in notifications; optional
 * @param webhooks name to webhook; names are lower-case letters, digits and dashes
 */
public record ApprovalsSection(String adminUrl, Map<String, WebhookConfig> webhooks) {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]*");

    public ApprovalsSection {
        if (adminUrl != null && !adminUrl.matches("https?://[^\\s/]+(/\\S*)?")) {
            throw new ConfigException("adminUrl", "must be an http(s) URL, got '" + adminUrl + "'");
        }
        if (adminUrl != null && adminUrl.endsWith("/")) {
            adminUrl = adminUrl.substring(0, adminUrl.length() - 1);
        }
        webhooks = webhooks == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(webhooks));
        for (String name : webhooks.keySet()) {
            if (!NAME.matcher(name).matches()) {
                throw new ConfigException("webhooks", "webhook name '" + name + "' must be lower-case letters,"
                        + " digits and dashes, starting with a letter");
            }
        }
    }

    public static ApprovalsSection empty() {
        return new ApprovalsSection(null, null);
    }
}
