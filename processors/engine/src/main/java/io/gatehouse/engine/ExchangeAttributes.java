package io.gatehouse.engine;

import io.gatehouse.spi.AttributeKey;
import io.gatehouse.spi.Attributes;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Per-exchange typed attributes. Thread-safe because chunk callbacks may run on other threads. */
public final class ExchangeAttributes implements Attributes {

    private final Map<AttributeKey<?>, Object> values = new ConcurrentHashMap<>();

    @Override
    public <T> Optional<T> get(AttributeKey<T> key) {
        return Optional.ofNullable(key.type().cast(values.get(key)));
    }

    @Override
    public <T> void put(AttributeKey<T> key, T value) {
        values.put(key, key.type().cast(java.util.Objects.requireNonNull(value, "value")));
    }

    @Override
    public <T> Optional<T> remove(AttributeKey<T> key) {
        return Optional.ofNullable(key.type().cast(values.remove(key)));
    }
}
