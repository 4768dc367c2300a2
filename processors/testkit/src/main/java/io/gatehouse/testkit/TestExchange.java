package io.gatehouse.testkit;

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

    private final String requestId;
    private final String endpointId;
    private final TestRequest request;
    private final Operation operation;
    private final TestAttributes attributes = new TestAttributes();
    private volatile Identity identity;
    private volatile TestResponse response;
    private volatile Step running;

    private TestExchange(Builder b) {
        this.requestId = b.requestId == null ? UUID.randomUUID().toString() : b.requestId;
        this.endpointId = b.endpointId;
        Headers headers = new Headers();
        b.headers.toMap().forEach((name, values) -> values.forEach(value -> headers.add(name, value)));
        this.request = new TestRequest(b.method, b.path, b.query, headers, b.clientAddress, b.body);
        this.operation = b.operation == null ? Operation.raw("raw") : b.operation;
        this.identity = b.identity;
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

    @Override
    public String requestId() {
        return requestId;
    }

    @Override
    public String endpointId() {
        return endpointId;
    }

    @Override
    public GatewayRequest request() {
        return request;
    }

    @Override
    public Operation operation() {
        return operation;
    }

    @Override
    public Optional<GatewayResponse> response() {
        return Optional.ofNullable(response);
    }

    @Override
    public Optional<Identity> identity() {
        return Optional.ofNullable(identity);
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
        Step step = running;
        if (step == null) {
            throw new IllegalStateException("setIdentity was called while no processor runs on this exchange;"
                    + " give a test exchange its caller with TestExchange.Builder.identity(..)");
        }
        if (step.phase() != Phase.AUTHENTICATE) {
            throw new IllegalStateException("processor '" + step.id() + "' (phase " + step.phase()
                    + ") may not set the identity: only AUTHENTICATE steps may");
        }
        this.identity = identity;
    }

    @Override
    public Attributes attributes() {
        return attributes;
    }

    /** The body as UTF-8, for assertions. */
    public String bodyText() {
        return new String(request.body(), StandardCharsets.UTF_8);
    }

    void enter(Step step) {
        running = step;
    }

    void leave() {
        running = null;
    }

    void startResponse(TestResponse response, Step step) {
        if (this.response != null) {
            throw new IllegalStateException("this exchange already has a response: build a new TestExchange for "
                    + step.name());
        }
        this.response = response;
    }

    @Override
    public String toString() {
        return "TestExchange[" + requestId + ", " + request + "]";
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
        private final TestAttributes attributes = new TestAttributes();

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
            attributes.put(key, value);
            return this;
        }

        public TestExchange build() {
            TestExchange exchange = new TestExchange(this);
            attributes.copyTo(exchange.attributes);
            return exchange;
        }
    }
}
