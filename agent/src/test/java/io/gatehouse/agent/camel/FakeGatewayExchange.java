package io.gatehouse.agent.camel;

import io.gatehouse.spi.AttributeKey;
import io.gatehouse.spi.Attributes;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayRequest;
import io.gatehouse.spi.GatewayResponse;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** A gateway exchange as the routes module would hand it to the agent: request, identity, attributes. */
final class FakeGatewayExchange implements GatewayExchange, GatewayRequest, Attributes {

    private final String requestId;
    private final String method;
    private final String path;
    private final String query;
    private final Headers headers = new Headers();
    private final Map<String, Object> attributes = new ConcurrentHashMap<>();
    private byte[] body = new byte[0];
    private Identity identity;

    FakeGatewayExchange(String requestId, String method, String path, String query) {
        this.requestId = requestId;
        this.method = method;
        this.path = path;
        this.query = query;
    }

    FakeGatewayExchange body(String text) {
        replaceBody(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return this;
    }

    @Override
    public String requestId() {
        return requestId;
    }

    @Override
    public String endpointId() {
        return "chat";
    }

    @Override
    public GatewayRequest request() {
        return this;
    }

    @Override
    public Operation operation() {
        return Operation.raw("raw");
    }

    @Override
    public Optional<GatewayResponse> response() {
        return Optional.empty();
    }

    @Override
    public Optional<Identity> identity() {
        return Optional.ofNullable(identity);
    }

    @Override
    public void setIdentity(Identity identity) {
        this.identity = identity;
    }

    @Override
    public Attributes attributes() {
        return this;
    }

    @Override
    public String method() {
        return method;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public String query() {
        return query;
    }

    @Override
    public Headers headers() {
        return headers;
    }

    @Override
    public InetSocketAddress clientAddress() {
        return new InetSocketAddress("127.0.0.1", 50000);
    }

    @Override
    public byte[] body() {
        return body;
    }

    @Override
    public void replaceBody(byte[] body) {
        this.body = body.clone();
    }

    @Override
    public <T> Optional<T> get(AttributeKey<T> key) {
        return Optional.ofNullable(attributes.get(key.name())).map(key.type()::cast);
    }

    @Override
    public <T> void put(AttributeKey<T> key, T value) {
        attributes.put(key.name(), value);
    }

    @Override
    public <T> Optional<T> remove(AttributeKey<T> key) {
        return Optional.ofNullable(attributes.remove(key.name())).map(key.type()::cast);
    }
}
