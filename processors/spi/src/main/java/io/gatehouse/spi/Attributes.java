package io.gatehouse.spi;

import java.util.Optional;

/** Typed per-exchange state. Keys are compared by identity of their name and type. */
public interface Attributes {

    <T> Optional<T> get(AttributeKey<T> key);

    <T> void put(AttributeKey<T> key, T value);

    <T> Optional<T> remove(AttributeKey<T> key);
}
