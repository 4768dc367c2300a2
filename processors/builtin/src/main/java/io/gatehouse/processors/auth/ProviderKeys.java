package io.gatehouse.processors.auth;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.util.JSONObjectUtils;
import io.gatehouse.processors.support.Durations;
import io.gatehouse.spi.metrics.Metrics;
import java.net.URI;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signing keys of one identity provider, found by OIDC discovery (or a configured JWKS URL) and
 * kept as described in {@link JwksConfig}: fresh for {@code cacheTtl}, then refreshed in the
 * background while the cached keys go on serving; an unknown key id refetches at most once per
 * {@code refreshInterval}; past {@code maxStaleness} nothing is served until a fetch succeeds.
 *
 * <p>Only one fetch per provider runs at a time: concurrent callers that need keys wait on the same
 * fetch (bounded by the fetch timeout), callers that have keys go on with them. Symmetric and
 * private key material in a JWKS is dropped on arrival; the {@link KeySelector} refuses weak keys.
 * Thread-safe.
 */
final class ProviderKeys implements JWKSource<VerificationContext> {

    private static final Logger LOG = LoggerFactory.getLogger(ProviderKeys.class);

    /** Keys cannot be had: carries the detail of the 503. */
    static final class Unavailable extends KeySourceException {
        Unavailable(String message) {
            super(message);
        }
    }

    /** One fetched key set. */
    record Snapshot(JWKSet keys, Set<String> keyIds, Instant fetchedAt) {
        boolean has(String kid) {
            return kid == null ? !keys.isEmpty() : keyIds.contains(kid);
        }
    }

    /** What discovery found. */
    record Metadata(URI jwksUri, URI introspectionEndpoint) {
    }

    private final String name;
    private final ProviderConfig config;
    private final JwksConfig settings;
    private final HttpFetcher http;
    private final Clock clock;
    private final Object lock = new Object();
    private final Metrics.Counter fetched;
    private final Metrics.Counter failed;

    private volatile Snapshot current;
    private volatile Metadata metadata;
    private volatile String lastProblem = "no fetch yet";
    private Instant lastAttempt; // guarded by lock
    private CompletableFuture<Snapshot> inFlight; // guarded by lock

    /** @param metrics where fetches are counted, by result ({@code gatehouse_jwks_fetches_total}) */
    ProviderKeys(String name, ProviderConfig config, HttpFetcher http, Clock clock, Metrics metrics) {
        this.name = name;
        this.config = config;
        this.settings = config.jwks();
        this.http = http;
        this.clock = clock;
        String help = "Fetches of an identity provider's signing keys (discovery included), by result";
        this.fetched = metrics.counter("gatehouse.jwks.fetches", help, Map.of("provider", name, "result", "ok"));
        this.failed = metrics.counter("gatehouse.jwks.fetches", help, Map.of("provider", name, "result", "failed"));
    }

    /**
     * Seconds since the cached keys were fetched, on the gateway clock; NaN while none are (keys are fetched when
     * the first token needs them). Reads only memory: it answers a metrics scrape.
     */
    double ageSeconds() {
        Snapshot snapshot = current;
        return snapshot == null ? Double.NaN
                : Duration.between(snapshot.fetchedAt(), clock.instant()).toMillis() / 1000.0;
    }

    @Override
    public List<JWK> get(JWKSelector selector, VerificationContext context) throws KeySourceException {
        Snapshot snapshot = usable();
        List<JWK> keys = selector.select(snapshot.keys());
        if (keys.isEmpty()) {
            Snapshot refetched = refetchForUnknownKey();
            if (refetched != null) {
                keys = selector.select(refetched.keys());
            }
        }
        return keys;
    }

    /**
     * Keys that may be used now: the cached ones while not older than {@code maxStaleness} (starting a
     * background refresh once they are past {@code cacheTtl}), else freshly fetched ones.
     *
     * @throws Unavailable when there are none and none can be fetched now
     */
    Snapshot usable() throws Unavailable {
        Snapshot snapshot = current;
        Instant now = clock.instant();
        if (snapshot == null) {
            return fetchNow("none are cached");
        }
        Duration age = Duration.between(snapshot.fetchedAt(), now);
        if (age.compareTo(settings.maxStaleness()) >= 0) {
            try {
                return fetchNow("stale");
            } catch (Unavailable e) {
                throw new Unavailable("the signing keys of identity provider '" + name + "' were fetched at "
                        + snapshot.fetchedAt() + ", longer ago than its jwks.maxStaleness of "
                        + Durations.format(settings.maxStaleness()) + ", and fetching them again failed ("
                        + lastProblem + "); no token is accepted until they can be fetched");
            }
        }
        if (age.compareTo(settings.cacheTtl()) >= 0) {
            start(false);
        }
        return snapshot;
    }

    /**
     * The fetch a token signed with {@code keyId} would wait for — no keys cached, cached ones past
     * {@code maxStaleness}, or a key id they lack — so the caller can wait for it without blocking a
     * thread; null when the cached keys answer now, or when no fetch may start now (then verifying
     * answers at once from what is cached).
     */
    CompletableFuture<Snapshot> fetchFor(String keyId) {
        Snapshot snapshot = current;
        if (snapshot == null
                || Duration.between(snapshot.fetchedAt(), clock.instant()).compareTo(settings.maxStaleness()) >= 0
                || keyId != null && !snapshot.has(keyId)) {
            return start(true);
        }
        return null;
    }

    /** The cached keys without fetching, or null; for checking a remembered token's key is still published. */
    Snapshot cached() {
        return current;
    }

    /** The discovery document's introspection endpoint when the document was read already, else null. */
    URI knownIntrospectionEndpoint() {
        Metadata m = metadata;
        return m == null ? null : m.introspectionEndpoint();
    }

    /** Where introspection goes: the configured URL, else the discovery document's. */
    URI introspectionEndpoint(IntrospectionConfig introspection) throws Unavailable {
        if (introspection.endpoint() != null) {
            return introspection.endpoint();
        }
        Metadata m = metadata;
        if (m == null) {
            m = discoverNow();
        }
        if (m.introspectionEndpoint() == null) {
            throw new Unavailable("identity provider '" + name + "' names no introspection_endpoint in its discovery"
                    + " document; set introspection.endpoint");
        }
        return m.introspectionEndpoint();
    }

    /** Fetch again for a key id not in the cache, unless one was fetched within {@code refreshInterval}. */
    private Snapshot refetchForUnknownKey() {
        CompletableFuture<Snapshot> fetch = start(true);
        if (fetch == null) {
            // No fetch may run now, but one may have completed since the caller read the cache.
            return current;
        }
        try {
            return await(fetch);
        } catch (Unavailable e) {
            return null; // the cached keys stay; the kid is unknown
        }
    }

    private Snapshot fetchNow(String why) throws Unavailable {
        CompletableFuture<Snapshot> fetch = start(true);
        if (fetch == null) {
            throw new Unavailable("the signing keys of identity provider '" + name + "' could not be fetched ("
                    + lastProblem + ") and " + (why.equals("stale") ? "the cached ones are too old" : why)
                    + ", so no token can be verified; try again shortly");
        }
        try {
            return await(fetch);
        } catch (Unavailable e) {
            throw new Unavailable("the signing keys of identity provider '" + name + "' could not be fetched ("
                    + lastProblem + ") and " + (why.equals("stale") ? "the cached ones are too old" : why)
                    + ", so no token can be verified; try again shortly");
        }
    }

    /**
     * The fetch in flight, or a new one when the last attempt is at least {@code refreshInterval} old;
     * null when neither.
     *
     * @param join when a fetch is already in flight, return it (else null)
     */
    private CompletableFuture<Snapshot> start(boolean join) {
        Instant now = clock.instant();
        synchronized (lock) {
            if (inFlight != null) {
                return join ? inFlight : null;
            }
            if (lastAttempt != null && now.isBefore(lastAttempt.plus(settings.refreshInterval()))) {
                return null;
            }
            lastAttempt = now;
            CompletableFuture<Snapshot> fetch = fetchAsync();
            inFlight = fetch;
            fetch.whenComplete((snapshot, error) -> {
                synchronized (lock) {
                    if (inFlight == fetch) {
                        inFlight = null;
                    }
                }
            });
            return fetch;
        }
    }

    private CompletableFuture<Snapshot> fetchAsync() {
        CompletableFuture<URI> jwksUri;
        if (config.jwksUri() != null) {
            jwksUri = CompletableFuture.completedFuture(config.jwksUri());
        } else if (metadata != null) {
            jwksUri = CompletableFuture.completedFuture(metadata.jwksUri());
        } else {
            jwksUri = discoverAsync().thenApply(Metadata::jwksUri);
        }
        return jwksUri.thenCompose(uri -> http.getAsync(uri, settings.timeout(), settings.maxBytes().bytes())
                        .thenApply(body -> parseKeys(uri, body)))
                .whenComplete((snapshot, error) -> {
                    if (error == null) {
                        current = snapshot;
                        lastProblem = "none";
                        fetched.increment();
                        LOG.debug("identity provider '{}': {} signing key(s) fetched", name, snapshot.keyIds().size());
                    } else {
                        failed.increment();
                        lastProblem = HttpFetcher.describe(error).getMessage();
                        LOG.warn("identity provider '{}': fetching its signing keys failed: {}", name, lastProblem);
                    }
                });
    }

    private Metadata discoverNow() throws Unavailable {
        try {
            return discoverAsync().get(settings.timeout().toMillis() + 250, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted while reading the discovery document of '" + name + "'");
        } catch (ExecutionException | TimeoutException e) {
            throw new Unavailable("the discovery document of identity provider '" + name + "' could not be read ("
                    + HttpFetcher.describe(e).getMessage() + ")");
        }
    }

    private CompletableFuture<Metadata> discoverAsync() {
        URI url = config.discoveryUrl();
        return http.getAsync(url, settings.timeout(), settings.maxBytes().bytes()).thenApply(body -> {
            Metadata m = parseDiscovery(body);
            metadata = m;
            return m;
        });
    }

    private Metadata parseDiscovery(byte[] body) {
        Map<String, Object> document;
        try {
            document = JSONObjectUtils.parse(utf8(body));
        } catch (ParseException | CharacterCodingException e) {
            throw new java.util.concurrent.CompletionException(new HttpFetcher.FetchException(
                    "the discovery document is not a JSON object"));
        }
        Object issuer = document.get("issuer");
        if (!config.issuer().equals(issuer)) {
            throw new java.util.concurrent.CompletionException(new HttpFetcher.FetchException(
                    "the discovery document names issuer " + AuthRejection.safe(String.valueOf(issuer))
                            + ", not " + config.issuer()));
        }
        URI jwksUri = url(document.get("jwks_uri"));
        if (jwksUri == null) {
            throw new java.util.concurrent.CompletionException(new HttpFetcher.FetchException(
                    "the discovery document has no usable jwks_uri"));
        }
        return new Metadata(jwksUri, url(document.get("introspection_endpoint")));
    }

    private static URI url(Object value) {
        if (!(value instanceof String text)) {
            return null;
        }
        try {
            return Checks.httpUrl("url", URI.create(text), "");
        } catch (RuntimeException e) {
            return null;
        }
    }

    private Snapshot parseKeys(URI uri, byte[] body) {
        JWKSet keys;
        try {
            keys = JWKSet.parse(utf8(body)).toPublicJWKSet();
        } catch (ParseException | CharacterCodingException | RuntimeException e) {
            throw new java.util.concurrent.CompletionException(new HttpFetcher.FetchException(
                    "the JWKS document is not a JWK set"));
        }
        Set<String> kids = new HashSet<>();
        keys.getKeys().forEach(k -> {
            if (k.getKeyID() != null) {
                kids.add(k.getKeyID());
            }
        });
        return new Snapshot(keys, Set.copyOf(kids), clock.instant());
    }

    private Snapshot await(CompletableFuture<Snapshot> fetch) throws Unavailable {
        long waitMillis = 2 * settings.timeout().toMillis() + 250; // discovery, then the JWKS
        try {
            return fetch.get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted");
        } catch (ExecutionException | TimeoutException e) {
            if (e instanceof TimeoutException) {
                lastProblem = "no answer within " + waitMillis + " ms";
            }
            throw new Unavailable(lastProblem);
        }
    }

    private static String utf8(byte[] body) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(body)).toString();
    }

    String name() {
        return name;
    }
}
