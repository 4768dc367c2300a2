package io.gatehouse.spi;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A top-level section of {@code gateway.yaml} that a {@link ProcessorFactory} owns, e.g. the
 * {@code auth} factory owns {@code identity:} (the identity providers every endpoint shares). The
 * gateway binds the section strictly to {@link #type()}, with the same error format as a pipeline
 * step ({@code gateway.yaml:7:5: field 'identity.providers.kc.issuer': ...}); an absent section binds
 * as {@code {}}, so the record's constructor decides what is required. The factory receives the
 * bound record once per config load in {@link ProcessorFactory#configureGateway}, before any
 * {@link ProcessorFactory#create}.
 *
 * <p>A key is unique in the gateway: a factory claiming a built-in key ({@code listeners},
 * {@code agents}, …) or another factory's key fails the start, naming both.
 *
 * @param key  the top-level key: a lower-case letter, then letters and digits ({@code identity})
 * @param type the record the section binds to; same component types as a step's config record
 * @param <G>  the section's record
 */
public record GatewaySection<G extends Record>(String key, Class<G> type) {

    private static final Pattern KEY = Pattern.compile("[a-z][A-Za-z0-9]*");

    public GatewaySection {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(type, "type");
        if (!KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("a gateway section key is a lower-case letter followed by letters and"
                    + " digits, got '" + key + "'");
        }
    }

    public static <G extends Record> GatewaySection<G> of(String key, Class<G> type) {
        return new GatewaySection<>(key, type);
    }

    /** The bound section as its record type. */
    public G cast(Record section) {
        return type.cast(section);
    }
}
