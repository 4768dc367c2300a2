package io.gatehouse.testkit;

import io.gatehouse.engine.InboundRequest;
import io.gatehouse.engine.PipelineExchange;

import io.gatehouse.spi.AttributeKey;
import io.gatehouse.spi.Attributes;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayRequest;
import io.gatehouse.spi.GatewayResponse;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.Phase;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;

/**
 * A complete in-memory exchange for one processor under test. Build it with
 * {@code TestExchange.post("/v1/chat/completions").header(..).body("{...}").build()}, run it through a
 * {@link ProcessorHarness}, then inspect the request, response, identity and attributes.
 *
 * <p>Like the gateway, the exchange lets only a step whose factory declares
 * {@link Phase#AUTHENTICATE} set the identity; a test gives an exchange a caller with
 * {@link Builder#identity}. Unlike the gateway, it adds no headers of its own: the processor sees
 * exactly the headers the test wrote.
 */
public final class TestExchange implements GatewayExchange {

    private final PipelineExchange engine;

    private TestExchange(Builder b) {
        Headers headers = new Headers();
        b.headers.toMap().forEach((name, values) -> values.forEach(value -> headers.add(name, value)));
        InboundRequest request = new InboundRequest(b.method, b.path, b.query, headers, b.clientAddress, b.body);
        this.engine = PipelineExchange.builder(b.requestId == null ? UUID.randomUUID().toString() : b.requestId,
                        b.endpointId, request, b.operation == null ? Operation.raw("raw") : b.operation)
                .identity(b.identity)
                .home(b.eventLoop == null ? PipelineExchange.CALLER : b.eventLoop)
                .build();
    }

    /** A {@code POST} to {@code path}; the path may carry a query after {@code ?}. */
    public static Builder post(String path) {
        return request("POST", path);
    }

    /** A {@code GET} of {@code path}; the path may carry a query after {@code ?}. */
    public static Builder get(String path) {
        return request("GET", path);
    }

    /** A request with any method. */
    public static Builder request(String method, String path) {
        return new Builder(method, path);
    }

    /**
     * The gateway's own exchange behind this one: processors run on it through the pipeline engine,
     * exactly as in the gateway.
     */
    public PipelineExchange engine() {
        return engine;
    }

    @Override
    public String requestId() {
        return engine.requestId();
    }

    @Override
    public String endpointId() {
        return engine.endpointId();
    }

    @Override
    public GatewayRequest request() {
        return engine.request();
    }

    @Override
    public Operation operation() {
        return engine.operation();
    }

    @Override
    public Optional<GatewayResponse> response() {
        return engine.response();
    }

    @Override
    public Optional<Identity> identity() {
        return engine.identity();
    }

    /**
     * Sets the caller, as the gateway does: only while an {@link Phase#AUTHENTICATE} step runs.
     *
     * @throws IllegalStateException naming the step when it is not an AUTHENTICATE step, or when no
     *                               step is running
     */
    @Override
    public void setIdentity(Identity identity) {
        Objects.requireNonNull(identity, "identity");
        if (engine.currentStep() == null) {
            throw new IllegalStateException("setIdentity was called while no processor runs on this exchange;"
                    + " give a test exchange its caller with TestExchange.Builder.identity(..)");
        }
        engine.setIdentity(identity);
    }

    @Override
    public Attributes attributes() {
        return engine.attributes();
    }

    /** The body as UTF-8, for assertions. */
    public String bodyText() {
        return new String(engine.request().body(), StandardCharsets.UTF_8);
    }

    @Override
    public Optional<Executor> eventLoop() {
        return engine.eventLoop();
    }

    @Override
    public String toString() {
        return "TestExchange[" + engine.requestId() + ", " + engine.request().method() + " " + engine.request().path() + "]";
    }

    /** Builds a {@link TestExchange}. Every part has a default; only method and path are required. */
    public static final class Builder {

        private final String method;
        private final String path;
        private String query = "";
        private final Headers headers = new Headers();
        private byte[] body = new byte[0];
        private Operation operation;
        private InetSocketAddress clientAddress = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);
        private String requestId;
        private String endpointId = "test";
        private Identity identity;
        private Executor eventLoop;
        private final java.util.Map<AttributeKey<?>, Object> attributes = new java.util.LinkedHashMap<>();

        private Builder(String method, String path) {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(path, "path");
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException("a request path starts with '/', got '" + path + "'");
            }
            this.method = method.toUpperCase(Locale.ROOT);
            int q = path.indexOf('?');
            this.path = q < 0 ? path : path.substring(0, q);
            this.query = q < 0 ? "" : path.substring(q + 1);
        }

        /** Adds a request header (a name may be added several times). */
        public Builder header(String name, String value) {
            headers.add(name, value);
            return this;
        }

        /** The raw query string without {@code ?}. */
        public Builder query(String query) {
            this.query = Objects.requireNonNull(query, "query");
            return this;
        }

        /** The body as UTF-8 text. No Content-Length is added: write it with {@link #header} if needed. */
        public Builder body(String utf8) {
            return body(utf8.getBytes(StandardCharsets.UTF_8));
        }

        public Builder body(byte[] body) {
            this.body = Objects.requireNonNull(body, "body").clone();
            return this;
        }

        /** What the protocol adapter parsed; defaults to {@code Operation.raw("raw")}. */
        public Builder operation(Operation operation) {
            this.operation = Objects.requireNonNull(operation, "operation");
            return this;
        }

        public Builder clientAddress(InetSocketAddress address) {
            this.clientAddress = Objects.requireNonNull(address, "address");
            return this;
        }

        /** The caller's address from an IP literal, e.g. {@code clientAddress("10.0.0.7", 51000)}. */
        public Builder clientAddress(String ip, int port) {
            return clientAddress(new InetSocketAddress(ip, port));
        }

        /** Defaults to a random UUID. */
        public Builder requestId(String requestId) {
            this.requestId = Objects.requireNonNull(requestId, "requestId");
            return this;
        }

        /** Defaults to {@code test}, the harness's default endpoint. */
        public Builder endpointId(String endpointId) {
            this.endpointId = Objects.requireNonNull(endpointId, "endpointId");
            return this;
        }

        /** A caller already verified by an earlier step, for processors that read the identity. */
        public Builder identity(Identity identity) {
            this.identity = Objects.requireNonNull(identity, "identity");
            return this;
        }

        /** State an earlier step left on the exchange. */
        public <T> Builder attribute(AttributeKey<T> key, T value) {
            attributes.put(key, key.type().cast(Objects.requireNonNull(value, "value")));
            return this;
        }

        /**
         * The exchange's {@link GatewayExchange#eventLoop() event loop}; none by default. Like a real
         * one it must queue tasks, never run them inline.
         */
        public Builder eventLoop(Executor loop) {
            this.eventLoop = Objects.requireNonNull(loop, "loop");
            return this;
        }

        public TestExchange build() {
            TestExchange exchange = new TestExchange(this);
            attributes.forEach((key, value) -> copy(exchange, key, value));
            return exchange;
        }

        @SuppressWarnings("unchecked")
        private static <T> void copy(TestExchange exchange, AttributeKey<T> key, Object value) {
            exchange.attributes().put(key, (T) value);
        }
    }
}
