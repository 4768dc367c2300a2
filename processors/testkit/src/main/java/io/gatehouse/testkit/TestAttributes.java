package io.gatehouse.testkit;

import io.gatehouse.spi.AttributeKey;
import io.gatehouse.spi.Attributes;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** In-memory {@link Attributes}; keys are equal when their name and type are. Thread-safe. */
final class TestAttributes implements Attributes {

    private final Map<AttributeKey<?>, Object> values = new ConcurrentHashMap<>();

    @Override
    public <T> Optional<T> get(AttributeKey<T> key) {
        Objects.requireNonNull(key, "key");
        return Optional.ofNullable(values.get(key)).map(key.type()::cast);
    }

    @Override
    public <T> void put(AttributeKey<T> key, T value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, () -> "attribute '" + key.name() + "' must not be set to null; remove it instead");
        values.put(key, key.type().cast(value));
    }

    @Override
    public <T> Optional<T> remove(AttributeKey<T> key) {
        Objects.requireNonNull(key, "key");
        return Optional.ofNullable(values.remove(key)).map(key.type()::cast);
    }

    void copyTo(TestAttributes target) {
        target.values.putAll(values);
    }

    @Override
    public String toString() {
        return "Attributes" + values.keySet().stream().map(AttributeKey::name).sorted().toList();
    }
}
