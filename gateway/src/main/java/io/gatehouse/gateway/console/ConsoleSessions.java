package io.gatehouse.gateway.console;

import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Console sign-ins, kept on this replica's server side: the browser holds only a random session id
 * in an HttpOnly cookie; the tokens stay here. Pending sign-ins (state, nonce, PKCE verifier) live
 * ten minutes. Both maps are bounded: past the limit the oldest entry goes.
 */
final class ConsoleSessions {

    static final Duration LOGIN_TTL = Duration.ofMinutes(10);

    /** A sign-in under way, keyed by its state. */
    record PendingLogin(String state, String nonce, String verifier, String next, Instant createdAt) {
    }

    /** Who is signed in, and the tokens the console uses for them. */
    static final class Session {
        final String id;
        final String csrf;
        final String username;
        final Set<String> groups;
        final List<String> amr;
        final Instant createdAt;
        final Instant expiresAt;
        final AtomicReference<OidcClient.Tokens> tokens;

        Session(String id, String csrf, String username, Set<String> groups, List<String> amr, Instant createdAt,
                Instant expiresAt, OidcClient.Tokens tokens) {
            this.id = id;
            this.csrf = csrf;
            this.username = username;
            this.groups = Set.copyOf(groups);
            this.amr = List.copyOf(amr);
            this.createdAt = createdAt;
            this.expiresAt = expiresAt;
            this.tokens = new AtomicReference<>(tokens);
        }

        /** Constant time: the CSRF token is a secret of this session. */
        boolean csrfMatches(String presented) {
            return presented != null && MessageDigest.isEqual(csrf.getBytes(StandardCharsets.US_ASCII),
                    presented.getBytes(StandardCharsets.US_ASCII));
        }
    }

    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final Map<String, PendingLogin> logins = new ConcurrentHashMap<>();
    private final int maxSessions;
    private final Duration ttl;
    private final Clock clock;

    ConsoleSessions(int maxSessions, Duration ttl, Clock clock) {
        this.maxSessions = maxSessions;
        this.ttl = ttl;
        this.clock = clock;
    }

    PendingLogin startLogin(String next) {
        PendingLogin p = new PendingLogin(OidcClient.random(), OidcClient.random(), OidcClient.random(), next,
                clock.instant());
        logins.put(p.state(), p);
        trim(logins, maxSessions, PendingLogin::createdAt);
        return p;
    }

    /** The pending sign-in of this state, removed (a state is used once); empty when unknown or stale. */
    Optional<PendingLogin> takeLogin(String state) {
        PendingLogin p = state == null ? null : logins.remove(state);
        if (p == null || p.createdAt().plus(LOGIN_TTL).isBefore(clock.instant())) {
            return Optional.empty();
        }
        return Optional.of(p);
    }

    Session create(String username, Set<String> groups, List<String> amr, OidcClient.Tokens tokens) {
        Instant now = clock.instant();
        Session s = new Session(OidcClient.random(), OidcClient.random(), username, groups, amr, now, now.plus(ttl),
                tokens);
        sessions.put(s.id, s);
        trim(sessions, maxSessions, x -> x.createdAt);
        return s;
    }

    Optional<Session> find(String id) {
        Session s = id == null ? null : sessions.get(id);
        if (s == null) {
            return Optional.empty();
        }
        if (s.expiresAt.isBefore(clock.instant())) {
            sessions.remove(id);
            return Optional.empty();
        }
        return Optional.of(s);
    }

    void end(Session s) {
        sessions.remove(s.id);
    }

    int size() {
        return sessions.size();
    }

    private static <T> void trim(Map<String, T> map, int max, java.util.function.Function<T, Instant> age) {
        while (map.size() > max) {
            map.entrySet().stream().min(Comparator.comparing(e -> age.apply(e.getValue())))
                    .ifPresent(e -> map.remove(e.getKey()));
        }
    }
}
