package io.gatehouse.gateway.admin;

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
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An admin API request as the {@code auth} step sees it, so the admin API verifies tokens with the
 * very processor the endpoints use. Only that step runs on it, so it may set the identity.
 */
final class AdminExchange implements GatewayExchange {

    /** The admin request: head only, no body. */
    record Request(String method, String path, String query, Headers headers, InetSocketAddress clientAddress)
            implements GatewayRequest {
        @Override
        public byte[] body() {
            return new byte[0];
        }

        @Override
        public void replaceBody(byte[] body) {
            throw new UnsupportedOperationException("admin requests have no body");
        }
    }

    static final String ENDPOINT = "admin";

    private final String requestId;
    private final Request request;
    private final Map<AttributeKey<?>, Object> values = new ConcurrentHashMap<>();
    private volatile Identity identity;

    AdminExchange(String requestId, Request request) {
        this.requestId = requestId;
        this.request = request;
    }

    @Override
    public String requestId() {
        return requestId;
    }

    @Override
    public String endpointId() {
        return ENDPOINT;
    }

    @Override
    public Request request() {
        return request;
    }

    @Override
    public Operation operation() {
        return Operation.raw("admin");
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
        this.identity = Objects.requireNonNull(identity, "identity");
    }

    @Override
    public Attributes attributes() {
        return new Attributes() {
            @Override
            public <T> Optional<T> get(AttributeKey<T> key) {
                return Optional.ofNullable(key.type().cast(values.get(key)));
            }

            @Override
            public <T> void put(AttributeKey<T> key, T value) {
                values.put(key, key.type().cast(Objects.requireNonNull(value, "value")));
            }

            @Override
            public <T> Optional<T> remove(AttributeKey<T> key) {
                return Optional.ofNullable(key.type().cast(values.remove(key)));
            }
        };
    }
}
