package io.gatehouse.gateway.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.config.ConsoleConfig;
import io.gatehouse.engine.RequestIds;
import io.gatehouse.gateway.admin.AdminAuth;
import io.gatehouse.gateway.http.HttpAnswers;
import io.gatehouse.gateway.http.Problem;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Identity;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.netty.NettyConstants;
import org.apache.camel.component.netty.http.NettyHttpMessage;
import org.apache.camel.support.AsyncProcessorSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web console at {@code /console} on the admin port, for approvers and auditors.
 *
 * <ul>
 *   <li>{@code GET /console/}: the page (static files from the jar, no inline script or style)</li>
 *   <li>{@code GET /console/login}, {@code /console/callback}: OIDC authorization code + PKCE with the
 *       configured issuer; the session id goes to an HttpOnly, SameSite=Lax cookie, the tokens stay here</li>
 *   <li>{@code POST /console/logout}: ends the session here and answers where to end the provider's</li>
 *   <li>{@code /console/api/...}: the admin API, called on the user's behalf with their own access token
 *       over loopback, exactly as the CLI calls it (same checks, same audit records); a state change needs
 *       the session's CSRF token in {@code X-CSRF-Token}. Passed on: approvals, sessions, audit, the config
 *       version and the agents ({@code GET} only), the break-glass review queue and its acknowledgements</li>
 *   <li>{@code GET /console/api/approvals/events}: the approvals page's live feed, server-sent events naming
 *       approvals that changed ({@link ApprovalFeed}); the page then fetches the queue again</li>
 * </ul>
 *
 * Rights are the admin API's: members of {@code admin.console.approvers} get the approvals page (and
 * see only the approvals they may decide), members of {@code admin.auditors} the recordings and audit
 * pages, members of {@code breakGlass.reviewers} and auditors the break-glass review queue (reviewers
 * acknowledge); everybody else is signed in to nothing (403 on every API call).
 */
public final class ConsoleRoutes extends RouteBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(ConsoleRoutes.class);
    static final String BASE = "/console";
    static final String COOKIE = "gatehouse_console";
    static final String LOGIN_COOKIE = "gatehouse_console_login";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NEXT = Pattern.compile("#/[A-Za-z0-9/_.:?=&%-]{0,300}");
    private static final int MAX_BODY = 16 * 1024;
    /** What an API path may hold: it is passed on to the admin API, so no dot segments, no odd characters. */
    private static final Pattern BREAK_GLASS_ACK = Pattern.compile("/break-glass/uses/[A-Za-z0-9._-]{1,64}/acknowledge");
    private static final Pattern API_PATH = Pattern.compile("(/[A-Za-z0-9_:-][A-Za-z0-9._:-]{0,127}){1,6}");

    private final String host;
    private final int port;
    private final ConsoleConfig config;
    private final AdminAuth auth;
    private final OidcClient oidc;
    final ConsoleSessions sessions;
    private final AdminApiProxy admin;
    private final ConsoleAssets assets;
    private final URI publicUrl;
    private final boolean secureCookies;
    /** The approvals page's live feed; null when there is none (no approvals, or maxEventStreams 0). */
    private final ApprovalFeed feed;
    /** {@code breakGlass.reviewers}; null when break-glass is not configured. */
    private final java.util.Set<String> breakGlassReviewers;

    public ConsoleRoutes(String host, int port, ConsoleConfig config, AdminAuth auth, Clock clock) {
        this(host, port, config, auth, clock, null, null);
    }

    /**
     * @param watchApprovals subscribes to the ids of approvals that change (returns what stops it), for the live
     *                       feed; null: no feed, the approvals page polls
     * @param breakGlassReviewers {@code breakGlass.reviewers}; null when break-glass is not configured
     */
    public ConsoleRoutes(String host, int port, ConsoleConfig config, AdminAuth auth, Clock clock,
                         java.util.function.Function<java.util.function.Consumer<String>, Runnable> watchApprovals,
                         java.util.Set<String> breakGlassReviewers) {
        this(host, port, config, auth, httpClient(), clock, watchApprovals, breakGlassReviewers);
    }

    /**
     * The console's client for the provider and the admin API: asynchronous, on at most two threads that
     * end when idle (the console keeps no thread of its own).
     */
    private static java.net.http.HttpClient httpClient() {
        java.util.concurrent.ThreadPoolExecutor pool = new java.util.concurrent.ThreadPoolExecutor(0, 2, 30,
                java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "gatehouse-console-http");
                    t.setDaemon(true);
                    return t;
                });
        return java.net.http.HttpClient.newBuilder().executor(pool)
                .connectTimeout(java.time.Duration.ofSeconds(5))
                .followRedirects(java.net.http.HttpClient.Redirect.NEVER).build();
    }

    ConsoleRoutes(String host, int port, ConsoleConfig config, AdminAuth auth, java.net.http.HttpClient http,
                  Clock clock,
                  java.util.function.Function<java.util.function.Consumer<String>, Runnable> watchApprovals,
                  java.util.Set<String> breakGlassReviewers) {
        this.host = host;
        this.port = port;
        this.config = config;
        this.auth = auth;
        this.oidc = new OidcClient(config.issuer(), config.clientId(), http);
        this.sessions = new ConsoleSessions(config.maxSessions(), config.sessionTtl(), clock);
        this.admin = new AdminApiProxy(http, URI.create("http://" + loopbackOf(host) + ":" + port));
        this.assets = ConsoleAssets.load();
        String base = config.publicUrl().map(URI::toString).orElse("http://" + hostForUrl(host) + ":" + port + BASE);
        this.publicUrl = URI.create(base.endsWith("/") ? base.substring(0, base.length() - 1) : base);
        this.secureCookies = "https".equals(publicUrl.getScheme());
        this.feed = watchApprovals == null || config.maxEventStreams() == 0 ? null
                : new ApprovalFeed(watchApprovals, config.maxEventStreams(), ApprovalFeed.HEARTBEAT, clock);
        this.breakGlassReviewers = breakGlassReviewers == null ? null : java.util.Set.copyOf(breakGlassReviewers);
    }

    /** The console's address, e.g. {@code http://127.0.0.1:8081/console}. */
    public URI publicUrl() {
        return publicUrl;
    }

    @Override
    public void configure() throws Exception {
        from("netty-http:http://" + host + ":" + port + BASE + "?matchOnUriPrefix=true")
                .routeId("gatehouse-console").process(new Handler());
        if (feed != null) {
            // the feed's timer and approvals watch end with the gateway
            getContext().addService(new org.apache.camel.support.service.ServiceSupport() {
                @Override
                protected void doStop() {
                    feed.close();
                }
            }, true, true);
        }
    }

    /** An answer to the browser. */
    record Reply(int status, String contentType, byte[] body, Headers headers) {
        static Reply json(int status, Object node) {
            try {
                return new Reply(status, "application/json", JSON.writeValueAsBytes(node), new Headers());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }

        static Reply problem(int status, String title, String detail) {
            return new Reply(status, Problem.CONTENT_TYPE, Problem.of(status, title, detail).toJson(null, BASE, false),
                    new Headers());
        }

        static Reply redirect(String location) {
            Headers h = new Headers();
            h.set("Location", location);
            return new Reply(302, "text/plain; charset=utf-8", new byte[0], h);
        }

        static Reply text(int status, String text) {
            return new Reply(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8), new Headers());
        }

        Reply cookie(String setCookie) {
            headers.add("Set-Cookie", setCookie);
            return this;
        }
    }

    /** One browser request, read off Netty. */
    record Call(String method, String path, Map<String, List<String>> query, Headers headers, byte[] body,
                InetSocketAddress client) {
        String param(String name) {
            List<String> v = query.get(name);
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        String cookie(String name) {
            String header = headers.first("Cookie").orElse(null);
            if (header == null) {
                return null;
            }
            for (Cookie c : ServerCookieDecoder.STRICT.decode(header)) {
                if (c.name().equals(name)) {
                    return c.value();
                }
            }
            return null;
        }
    }

    private final class Handler extends AsyncProcessorSupport {
        @Override
        public boolean process(Exchange exchange, AsyncCallback callback) {
            FullHttpRequest netty = exchange.getIn(NettyHttpMessage.class).getHttpRequest();
            ChannelHandlerContext ctx = exchange.getIn().getHeader(NettyConstants.NETTY_CHANNEL_HANDLER_CONTEXT,
                    ChannelHandlerContext.class);
            QueryStringDecoder uri = new QueryStringDecoder(netty.uri());
            Headers headers = new Headers();
            netty.headers().forEach(h -> headers.add(h.getKey(), h.getValue()));
            byte[] body = netty.content().readableBytes() > MAX_BODY ? null : ByteBufUtil.getBytes(netty.content());
            Call call = new Call(netty.method().name(), uri.path(), uri.parameters(), headers, body,
                    (InetSocketAddress) ctx.channel().remoteAddress());
            String requestId = RequestIds.next();
            CompletionStage<Reply> reply;
            try {
                if (call.path().equals(EVENTS)) {
                    Reply refused = events(call, exchange, ctx.channel(), requestId);
                    if (refused == null) {
                        callback.done(false);
                        return false;
                    }
                    reply = done(refused);
                } else {
                    reply = handle(call);
                }
            } catch (RuntimeException e) {
                reply = CompletableFuture.failedFuture(e);
            }
            reply.whenComplete((r, error) -> {
                try {
                    Reply out = r;
                    if (error != null) {
                        Throwable cause = error instanceof CompletionException && error.getCause() != null
                                ? error.getCause() : error;
                        if (cause instanceof OidcClient.OidcException oidcError) {
                            out = Reply.problem(502, "Sign-in failed", oidcError.getMessage());
                        } else {
                            LOG.error("console call {} {} failed ({})", call.method(), call.path(), requestId, cause);
                            out = Reply.problem(500, "Internal gateway error", "quote request id " + requestId
                                    + " to the gateway's operators");
                        }
                    }
                    ConsoleHeaders.secure(out.headers(), oidc.issuer());
                    HttpAnswers.whole(exchange, out.status(), out.headers(), out.contentType(), out.body(), requestId);
                } catch (RuntimeException e) {
                    LOG.error("console call {} failed", requestId, e);
                    exchange.setException(e);
                } finally {
                    callback.done(false);
                }
            });
            return false;
        }
    }

    CompletionStage<Reply> handle(Call call) {
        String path = call.path();
        String method = call.method();
        if (path.equals(BASE)) {
            return done(Reply.redirect(BASE + "/"));
        }
        if (path.equals(BASE + "/") || path.equals(BASE + "/index.html")) {
            return done(get(method).orElseGet(() -> assets.reply("index.html")));
        }
        if (path.startsWith(BASE + "/assets/")) {
            return done(get(method).orElseGet(() -> assets.reply(path.substring((BASE + "/assets/").length()))));
        }
        if (path.equals(BASE + "/login")) {
            return get(method).map(ConsoleRoutes::done).orElseGet(() -> login(call));
        }
        if (path.equals(BASE + "/callback")) {
            return get(method).map(ConsoleRoutes::done).orElseGet(() -> callback(call));
        }
        Optional<ConsoleSessions.Session> session = sessions.find(call.cookie(COOKIE));
        if (path.equals(BASE + "/logout")) {
            return logout(call, session);
        }
        if (path.startsWith(BASE + "/api/")) {
            if (session.isEmpty()) {
                return done(Reply.problem(401, "Sign in", "sign in to the console: " + BASE + "/login"));
            }
            return api(call, session.get());
        }
        return done(Reply.problem(404, "Not found", "the console has no " + path.replaceAll("[^ -~]", "?")));
    }

    private static Optional<Reply> get(String method) {
        return method.equals("GET") || method.equals("HEAD") ? Optional.empty()
                : Optional.of(Reply.problem(405, "Method not allowed", "use GET"));
    }

    private static CompletionStage<Reply> done(Reply r) {
        return CompletableFuture.completedFuture(r);
    }

    private URI redirectUri() {
        return URI.create(publicUrl + "/callback");
    }

    // ---- sign-in ----

    private CompletionStage<Reply> login(Call call) {
        String next = call.param("next");
        if (next == null || !NEXT.matcher(next).matches()) {
            next = "#/";
        }
        boolean stepUp = "1".equals(call.param("stepup"));
        ConsoleSessions.PendingLogin pending = sessions.startLogin(next);
        return oidc.endpoints().thenApply(e -> Reply.redirect(OidcClient.authorizationUrl(e, oidc.clientId(),
                        redirectUri(), pending.state(), pending.nonce(), pending.verifier(),
                        stepUp ? config.stepUpAcrValues() : List.of()).toString())
                // binds the sign-in to this browser: the callback must come back with it (login CSRF)
                .cookie(cookie(LOGIN_COOKIE, pending.state(), (int) ConsoleSessions.LOGIN_TTL.toSeconds())));
    }

    private CompletionStage<Reply> callback(Call call) {
        String error = call.param("error");
        String state = call.param("state");
        Reply clearLogin = Reply.text(200, "");
        if (error != null) {
            sessions.takeLogin(state);
            return done(Reply.problem(401, "Sign-in refused", "the identity provider answered '"
                    + error.replaceAll("[^ -~]", "?") + "': " + Optional.ofNullable(call.param("error_description"))
                    .orElse("").replaceAll("[^ -~]", "?") + "; go back to " + BASE + "/ and sign in again"));
        }
        if (state == null || !state.equals(call.cookie(LOGIN_COOKIE))) {
            return done(Reply.problem(400, "Sign-in not started here", "this sign-in was not started by this browser"
                    + " (or its cookie expired); go to " + BASE + "/ and sign in again"));
        }
        Optional<ConsoleSessions.PendingLogin> pending = sessions.takeLogin(state);
        String code = call.param("code");
        if (pending.isEmpty() || code == null) {
            return done(Reply.problem(400, "Sign-in expired", "this sign-in is unknown or older than "
                    + ConsoleSessions.LOGIN_TTL.toMinutes() + " minutes; go to " + BASE + "/ and sign in again"));
        }
        ConsoleSessions.PendingLogin p = pending.get();
        return oidc.exchange(code, redirectUri(), p.verifier(), p.nonce()).thenCompose(tokens ->
                auth.verify(tokens.accessToken(), call.client()).thenApply(identity -> {
                    if (identity.isEmpty()) {
                        return Reply.problem(403, "Token not accepted", "the admin API does not accept the access"
                                + " tokens client '" + oidc.clientId() + "' gets from " + oidc.issuer()
                                + " (admin.auth: issuer, audiences)");
                    }
                    Identity who = identity.get();
                    ConsoleSessions.Session s = sessions.create(who.username(), who.groups(), who.amr(), tokens);
                    LOG.info("console: {} signed in", who.username());
                    return Reply.redirect(BASE + "/" + p.next())
                            .cookie(cookie(COOKIE, s.id, (int) config.sessionTtl().toSeconds()))
                            .cookie(cookie(LOGIN_COOKIE, "", 0));
                }));
    }

    private CompletionStage<Reply> logout(Call call, Optional<ConsoleSessions.Session> session) {
        if (!call.method().equals("POST")) {
            return done(Reply.problem(405, "Method not allowed", "sign out with POST " + BASE + "/logout"));
        }
        if (session.isEmpty()) {
            return done(Reply.json(200, JSON.createObjectNode().put("redirect", BASE + "/"))
                    .cookie(cookie(COOKIE, "", 0)));
        }
        Optional<Reply> refused = csrf(call, session.get());
        if (refused.isPresent()) {
            return done(refused.get());
        }
        ConsoleSessions.Session s = session.get();
        sessions.end(s);
        LOG.info("console: {} signed out", s.username);
        return oidc.endpoints().thenApply(e -> {
            URI provider = OidcClient.logoutUrl(e, oidc.clientId(), s.tokens.get().idToken(),
                    URI.create(publicUrl + "/"));
            return Reply.json(200, JSON.createObjectNode().put("redirect", provider == null ? BASE + "/"
                    : provider.toString())).cookie(cookie(COOKIE, "", 0));
        });
    }

    private String cookie(String name, String value, int maxAgeSeconds) {
        return name + "=" + value + "; Path=" + BASE + "; Max-Age=" + maxAgeSeconds + "; HttpOnly; SameSite=Lax"
                + (secureCookies ? "; Secure" : "");
    }

    /** A state change needs the session's CSRF token and, when the browser names it, this origin. */
    private Optional<Reply> csrf(Call call, ConsoleSessions.Session session) {
        if (!session.csrfMatches(call.headers().first("X-CSRF-Token").orElse(null))) {
            return Optional.of(Reply.problem(403, "CSRF token missing", "a state change needs the X-CSRF-Token header"
                    + " of this console session; reload the console"));
        }
        String origin = call.headers().first("Origin").orElse(null);
        if (origin != null && !origin.equals(publicUrl.getScheme() + "://" + publicUrl.getAuthority())) {
            return Optional.of(Reply.problem(403, "Cross-origin request", "the console accepts changes from "
                    + publicUrl.getScheme() + "://" + publicUrl.getAuthority() + " only"));
        }
        return Optional.empty();
    }

    // ---- the live feed ----

    static final String EVENTS = BASE + "/api/approvals/events";

    /**
     * Opens the approvals page's live feed on this connection; null when it is open, else the refusal (not
     * signed in, not an approver, no feed here, too many open).
     */
    private Reply events(Call call, Exchange exchange, io.netty.channel.Channel channel, String requestId) {
        Optional<Reply> refused = eventsRefusal(call);
        if (refused.isPresent()) {
            return refused.get();
        }
        ConsoleSessions.Session session = sessions.find(call.cookie(COOKIE)).orElseThrow();
        ApprovalFeed.Stream stream = feed.open(() -> sessions.find(session.id).isPresent());
        if (stream == null) {
            return Reply.problem(503, "Too many live feeds", "this replica has " + config.maxEventStreams()
                    + " live feeds open (admin.console.maxEventStreams); the page checks every few seconds instead");
        }
        io.gatehouse.engine.ChunkPipeline nothingToTransform = new io.gatehouse.engine.ChunkPipeline();
        nothingToTransform.seal();
        io.gatehouse.gateway.http.StreamingHttpResponse response = new io.gatehouse.gateway.http.StreamingHttpResponse(
                io.netty.handler.codec.http.HttpResponseStatus.OK, channel, true, nothingToTransform,
                () -> CompletableFuture.completedFuture(null), (end, cause) -> stream.cancel());
        Headers headers = new Headers();
        ConsoleHeaders.secure(headers, oidc.issuer());
        headers.set("Content-Type", "text/event-stream; charset=utf-8");
        HttpAnswers.stream(exchange, response, headers, requestId);
        response.start(stream);
        return null;
    }

    Optional<Reply> eventsRefusal(Call call) {
        if (!call.method().equals("GET")) {
            return Optional.of(Reply.problem(405, "Method not allowed", "use GET"));
        }
        Optional<ConsoleSessions.Session> session = sessions.find(call.cookie(COOKIE));
        if (session.isEmpty()) {
            return Optional.of(Reply.problem(401, "Sign in", "sign in to the console: " + BASE + "/login"));
        }
        if (!approver(session.get())) {
            return Optional.of(forbidden(session.get(), "approvals are for members of "
                    + String.join(", ", config.approvers())));
        }
        if (feed == null) {
            return Optional.of(Reply.problem(404, "No live feed", "this console has no live feed"
                    + " (admin.console.maxEventStreams is 0); the page checks every few seconds instead"));
        }
        return Optional.empty();
    }

    /** How many live feeds are open (for tests). */
    int openFeeds() {
        return feed == null ? 0 : feed.open();
    }

    // ---- the API behind the pages ----

    private boolean approver(ConsoleSessions.Session s) {
        return s.groups.stream().anyMatch(config.approvers()::contains);
    }

    private boolean auditor(ConsoleSessions.Session s) {
        return s.groups.stream().anyMatch(auth.auditors()::contains);
    }

    /** Reads the break-glass review queue: as the admin API, a reviewer or an auditor. */
    private boolean breakGlassReader(ConsoleSessions.Session s) {
        return breakGlassReviewers != null && (reviewer(s) || auditor(s));
    }

    private boolean reviewer(ConsoleSessions.Session s) {
        return breakGlassReviewers != null && s.groups.stream().anyMatch(breakGlassReviewers::contains);
    }

    private CompletionStage<Reply> api(Call call, ConsoleSessions.Session s) {
        String rest = call.path().substring((BASE + "/api").length());
        if (!API_PATH.matcher(rest).matches() || rest.contains("..")) {
            return done(Reply.problem(400, "Bad request", "the console API has no such path"));
        }
        boolean change = !call.method().equals("GET") && !call.method().equals("HEAD");
        if (change) {
            Optional<Reply> refused = csrf(call, s);
            if (refused.isPresent()) {
                return done(refused.get());
            }
        }
        if (rest.equals("/me")) {
            ObjectNode me = JSON.createObjectNode();
            me.put("username", s.username);
            ArrayNode groups = me.putArray("groups");
            new TreeSet<>(s.groups).forEach(groups::add);
            ArrayNode amr = me.putArray("amr");
            s.amr.forEach(amr::add);
            me.putObject("rights").put("approvals", approver(s)).put("recordings", auditor(s))
                    .put("health", auditor(s)).put("breakGlass", breakGlassReader(s))
                    .put("acknowledge", reviewer(s));
            me.put("liveFeed", feed != null);
            me.put("csrf", s.csrf).put("issuer", oidc.issuer().toString()).put("expiresAt", s.expiresAt.toString());
            return done(Reply.json(200, me));
        }
        String target;
        if (rest.equals("/approvals") || rest.startsWith("/approvals/")) {
            if (!approver(s)) {
                return done(forbidden(s, "approvals are for members of " + String.join(", ", config.approvers())));
            }
            target = "/admin" + rest;
        } else if (rest.equals("/sessions") || rest.startsWith("/sessions/") || rest.startsWith("/audit/")) {
            if (!auditor(s)) {
                return done(forbidden(s, "recordings are for members of " + String.join(", ", auth.auditors())));
            }
            target = "/admin" + rest;
        } else if (rest.equals("/config") || rest.equals("/agents")) {
            if (!auditor(s)) {
                return done(forbidden(s, "health is for members of " + String.join(", ", auth.auditors())));
            }
            if (change) {
                return done(Reply.problem(405, "Method not allowed", "the console reads " + rest + " only (GET);"
                        + " reload the config with the CLI or the admin API"));
            }
            target = "/admin" + rest;
        } else if (rest.equals("/break-glass/uses") || BREAK_GLASS_ACK.matcher(rest).matches()) {
            if (breakGlassReviewers == null) {
                return done(Reply.problem(404, "Not found", "break-glass is not configured on this gateway"));
            }
            if (!breakGlassReader(s)) {
                return done(forbidden(s, "the break-glass review queue is for members of "
                        + String.join(", ", new TreeSet<>(breakGlassReviewers)) + " and auditors"));
            }
            target = "/admin" + rest;
        } else {
            return done(Reply.problem(404, "Not found", "the console API has no " + rest.replaceAll("[^ -~]", "?")));
        }
        if (change && call.body() == null) {
            return done(Reply.problem(413, "Body too large", "at most " + MAX_BODY + " bytes"));
        }
        String query = rawQuery(call);
        return fresh(s).thenCompose(token -> token == null
                ? done(Reply.problem(401, "Sign in", "the console session's sign-in expired; sign in again"))
                : admin.call(call.method(), target + (query.isEmpty() ? "" : "?" + query), token, call.body()));
    }

    private static Reply forbidden(ConsoleSessions.Session s, String why) {
        return Reply.problem(403, "Forbidden", why + "; " + s.username + " is in "
                + (s.groups.isEmpty() ? "no group" : String.join(", ", new TreeSet<>(s.groups))));
    }

    private static String rawQuery(Call call) {
        StringBuilder q = new StringBuilder();
        call.query().forEach((k, values) -> values.forEach(v -> {
            if (q.length() > 0) {
                q.append('&');
            }
            q.append(OidcClient.enc(k)).append('=').append(OidcClient.enc(v));
        }));
        return q.toString();
    }

    /** The session's access token, refreshed when it is about to expire; null when it cannot be. */
    private CompletionStage<String> fresh(ConsoleSessions.Session s) {
        OidcClient.Tokens t = s.tokens.get();
        if (t.accessExpiresAt().isAfter(java.time.Instant.now().plusSeconds(15))) {
            return CompletableFuture.completedFuture(t.accessToken());
        }
        if (t.refreshToken() == null) {
            sessions.end(s);
            return CompletableFuture.completedFuture(null);
        }
        return oidc.refresh(t.refreshToken()).handle((n, error) -> {
            if (error != null) {
                LOG.info("console: {}'s session could not be refreshed ({})", s.username, error.getMessage());
                sessions.end(s);
                return null;
            }
            s.tokens.set(new OidcClient.Tokens(n.accessToken(), n.refreshToken() == null ? t.refreshToken()
                    : n.refreshToken(), n.idToken() == null ? t.idToken() : n.idToken(), n.accessExpiresAt()));
            return n.accessToken();
        });
    }

    private static String loopbackOf(String host) {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]") ? "127.0.0.1"
                : host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private static String hostForUrl(String host) {
        return loopbackOf(host);
    }
}
