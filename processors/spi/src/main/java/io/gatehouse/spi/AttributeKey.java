package io.gatehouse.spi;

import java.util.Objects;

/**
 * A typed key for {@link Attributes}. Declare keys as constants; name them after the owning
 * processor ({@code "masking.count"}) so plugins do not collide.
 */
public record AttributeKey<T>(String name, Class<T> type) {

    public AttributeKey {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
    }

    public static <T> AttributeKey<T> of(String name, Class<T> type) {
        return new AttributeKey<>(name, type);
    }
}
