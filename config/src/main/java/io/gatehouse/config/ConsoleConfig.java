package io.gatehouse.config;

import io.gatehouse.spi.ConfigException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The web console on the admin port ({@code admin.console} in {@code gateway.yaml}): approvers and
 * auditors sign in with OpenID Connect (authorization code + PKCE, a public client) and use the admin
 * API through it with their own token, kept on the server.
 *
 * @param issuer          the OIDC issuer people sign in with (its discovery document gives the endpoints);
 *                        its access tokens must be accepted by {@code admin.auth}
 * @param clientId        the public client registered for the console, default {@value #DEFAULT_CLIENT_ID}
 * @param approvers       groups whose members see the approvals page, default {@code [ml-leads]}; each
 *                        approval still shows only to those who may decide it
 * @param sessionTtl      how long a console sign-in lasts at most, default 8h
 * @param maxSessions     console sessions kept at once per replica, default 1000 (the oldest go first)
 * @param publicUrl       the console's address as browsers reach it (the redirect URI is
 *                        {@code <publicUrl>/callback}); default {@code http://<admin host>:<port>/console}
 * @param stepUpAcrValues {@code acr_values} sent when an approval needs a second factor, default {@code [2]}
 * @param maxEventStreams open live feeds (server-sent events of the approvals page) per replica, default
 *                        {@value #DEFAULT_MAX_EVENT_STREAMS}; a page refused one polls instead
 */
public record ConsoleConfig(URI issuer, String clientId, List<String> approvers, Duration sessionTtl,
                            int maxSessions, Optional<URI> publicUrl, List<String> stepUpAcrValues,
                            int maxEventStreams) {

    public static final String DEFAULT_CLIENT_ID = "gatehouse-console";
    public static final List<String> DEFAULT_APPROVERS = List.of("ml-leads");
    public static final Duration DEFAULT_SESSION_TTL = Duration.ofHours(8);
    public static final int DEFAULT_MAX_SESSIONS = 1000;
    public static final List<String> DEFAULT_STEP_UP_ACR_VALUES = List.of("2");
    public static final int DEFAULT_MAX_EVENT_STREAMS = 200;

    /** With the default {@code maxEventStreams}. */
    public ConsoleConfig(URI issuer, String clientId, List<String> approvers, Duration sessionTtl, int maxSessions,
                         Optional<URI> publicUrl, List<String> stepUpAcrValues) {
        this(issuer, clientId, approvers, sessionTtl, maxSessions, publicUrl, stepUpAcrValues,
                DEFAULT_MAX_EVENT_STREAMS);
    }

    public ConsoleConfig {
        if (issuer == null) {
            throw new ConfigException("issuer", "is required: the OIDC issuer console users sign in with, e.g."
                    + " http://127.0.0.1:8180/realms/gatehouse");
        }
        if (!"http".equals(issuer.getScheme()) && !"https".equals(issuer.getScheme())) {
            throw new ConfigException("issuer", "value '" + issuer + "' (expected: an http or https URL)");
        }
        clientId = clientId == null ? DEFAULT_CLIENT_ID : clientId;
        if (clientId.isBlank()) {
            throw new ConfigException("clientId", "must not be blank");
        }
        approvers = approvers == null ? DEFAULT_APPROVERS : List.copyOf(approvers);
        if (approvers.stream().anyMatch(g -> g == null || g.isBlank())) {
            throw new ConfigException("approvers", "must name groups, without blanks");
        }
        sessionTtl = sessionTtl == null ? DEFAULT_SESSION_TTL : sessionTtl;
        if (sessionTtl.isNegative() || sessionTtl.isZero()) {
            throw new ConfigException("sessionTtl", "must be positive, like 8h");
        }
        if (maxSessions < 1) {
            throw new ConfigException("maxSessions", "must be at least 1, got " + maxSessions);
        }
        publicUrl = publicUrl == null ? Optional.empty() : publicUrl;
        publicUrl.ifPresent(u -> {
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
                throw new ConfigException("publicUrl", "value '" + u + "' (expected: an http or https URL)");
            }
        });
        stepUpAcrValues = stepUpAcrValues == null ? DEFAULT_STEP_UP_ACR_VALUES : List.copyOf(stepUpAcrValues);
        if (maxEventStreams < 0) {
            throw new ConfigException("maxEventStreams", "must be 0 (no live feed: pages poll) or more, got "
                    + maxEventStreams);
        }
    }
}
