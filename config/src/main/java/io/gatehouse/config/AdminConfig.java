package io.gatehouse.config;

import java.util.List;
import java.util.Optional;

/**
 * The admin listener (health, metrics, admin API) from {@code gateway.yaml}.
 *
 * @param host     the address to bind, default {@value #DEFAULT_HOST}
 * @param port     the port, default {@value #DEFAULT_PORT}; 0 picks a free port
 * @param auth     who may call the admin API: the {@code auth} step's config, bound exactly as a
 *                 pipeline step's ({@code admin.auth}); empty leaves the admin API closed (health,
 *                 readiness and metrics stay open)
 * @param auditors the groups whose members may read recordings; default {@code [auditors]}
 * @param console  the web console at {@code /console}, if configured ({@code admin.console})
 * @param replayers the groups whose members hold the {@code replay} right: re-sending recorded requests to
 *                 another model service and diffing the answers ({@code sessions replay-diff}); they must also
 *                 be auditors. Default {@code [replayers]}
 */
public record AdminConfig(String host, int port, Optional<Record> auth, List<String> auditors,
                          Optional<ConsoleConfig> console, List<String> replayers) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8081;
    public static final List<String> DEFAULT_AUDITORS = List.of("auditors");
    public static final List<String> DEFAULT_REPLAYERS = List.of("replayers");

    public AdminConfig {
        Checks.host("host", host);
        Checks.port("port", port);
        Checks.required("auth", auth);
        console = console == null ? Optional.empty() : console;
        auditors = auditors == null ? DEFAULT_AUDITORS : List.copyOf(auditors);
        if (auditors.isEmpty() || auditors.stream().anyMatch(g -> g == null || g.isBlank())) {
            throw new io.gatehouse.spi.ConfigException("auditors", "must name at least one group, without blanks");
        }
        replayers = replayers == null ? DEFAULT_REPLAYERS : List.copyOf(replayers);
        if (replayers.stream().anyMatch(g -> g == null || g.isBlank())) {
            throw new io.gatehouse.spi.ConfigException("replayers", "must name groups, without blanks");
        }
    }

    /** The default replay right ({@code [replayers]}). */
    public AdminConfig(String host, int port, Optional<Record> auth, List<String> auditors,
                       Optional<ConsoleConfig> console) {
        this(host, port, auth, auditors, console, DEFAULT_REPLAYERS);
    }

    /** Without a console. */
    public AdminConfig(String host, int port, Optional<Record> auth, List<String> auditors) {
        this(host, port, auth, auditors, Optional.empty());
    }

    /** The listener alone: no admin API auth, default auditor group. */
    public AdminConfig(String host, int port) {
        this(host, port, Optional.empty(), DEFAULT_AUDITORS);
    }

    public static AdminConfig defaults() {
        return new AdminConfig(DEFAULT_HOST, DEFAULT_PORT);
    }

    /** The same listener with the admin API's auth config. */
    public AdminConfig withAuth(Record auth) {
        return new AdminConfig(host, port, Optional.of(auth), auditors, console, replayers);
    }
}
