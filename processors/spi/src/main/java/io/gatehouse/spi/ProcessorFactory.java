package io.gatehouse.spi;

import java.util.Optional;

/**
 * Creates a {@link GatewayProcessor} for one pipeline step of one endpoint.
 *
 * <p><b>Lifecycle.</b> The gateway finds factories with {@link java.util.ServiceLoader}, once, at
 * start. It binds each step's YAML strictly to {@link #configType()} (unknown keys are errors; the
 * record's canonical constructor may throw {@link ConfigException} to reject a value) and calls
 * {@link #create} once per endpoint at config load, never per request. A config reload creates new
 * processors and {@link GatewayProcessor#close() closes} the old ones once they are idle.
 *
 * <p><b>Gateway-wide config.</b> A factory that shares something between its endpoints (identity
 * providers, a key cache) may own one top-level section of {@code gateway.yaml}: it names it in
 * {@link #gatewaySection()}, and receives it, bound, in {@link #configureGateway} before any
 * {@link #create} of the same config load. Whatever it builds from the section is shared by the
 * processors it creates next; processors created from an earlier load keep what they were given.
 *
 * <p><b>Config files of its own.</b> A factory may also own a sub-directory of the config directory
 * (the {@code policy} factory owns {@code policies/}): it names it in {@link #configDirectory()},
 * and receives every file there, each bound strictly to the directory's record, in
 * {@link #configureDirectory} after {@link #configureGateway} and before any {@link #create} of the
 * same config load. See {@link ConfigDirectory}.
 *
 * <p><b>Threading.</b> A factory is used from one thread at a time, during load.
 *
 * @param <C> the config record of this step; components may be {@code String}, boxed or primitive
 *            numbers, {@code boolean}, {@link java.time.Duration}, {@link ByteSize}, {@link Secret},
 *            enums, {@code List}/{@code Set}/{@code Map} of those, and nested records.
 */
public interface ProcessorFactory<C extends Record> {

    /**
     * The step id used in pipelines ({@code - limits: {...}}): stable, lower-case, dash-separated.
     * Two factories with one id fail the start and both classes are named.
     */
    String id();

    /** The record the step's YAML is bound to. A step written without a body binds to {@code {}}. */
    Class<C> configType();

    /** What kind of work the processor does; see {@link Phase}. */
    Phase phase();

    /**
     * Creates the processor of one endpoint. Parse, compile and validate everything here: nothing
     * that can be prepared at load should be done per request.
     *
     * @throws ConfigException when the config is valid alone but not for this endpoint
     */
    GatewayProcessor create(C config, EndpointContext endpoint);

    /** The top-level section of {@code gateway.yaml} this factory owns, if any; see {@link GatewaySection}. */
    default Optional<GatewaySection<?>> gatewaySection() {
        return Optional.empty();
    }

    /**
     * Receives this factory's section of {@code gateway.yaml}, bound to its record (an absent section
     * binds as {@code {}}), once per config load and before any {@link #create} of that load. Called
     * only when {@link #gatewaySection()} names a section.
     *
     * @param section the bound record, of the type {@link #gatewaySection()} names
     * @param gateway the data directory, clock and shared services
     * @throws ConfigException when the section is valid alone but cannot be used (reported against
     *                         {@code gateway.yaml} and the section)
     */
    default void configureGateway(Record section, GatewayContext gateway) {
    }

    /** The sub-directory of the config directory this factory owns, if any; see {@link ConfigDirectory}. */
    default Optional<ConfigDirectory<?>> configDirectory() {
        return Optional.empty();
    }

    /**
     * Receives every file of this factory's config directory, bound to its record, in file-name order
     * (none when the directory is absent), once per config load: after {@link #configureGateway} and
     * before any {@link #create} of that load. Called only when {@link #configDirectory()} names a
     * directory. Check here what needs more than one file, or the endpoints
     * ({@link GatewayContext#endpoints()}), and report it with {@link ConfigFile#error}.
     *
     * @param files   the bound files, each of the type {@link #configDirectory()} names
     * @param gateway the data directory, clock, shared services and endpoints
     * @throws ConfigFileException naming the file and line at fault; several problems may be joined
     *                             in one message, but each should be fixed in the file named
     * @throws ConfigException     when the files are unusable as a whole
     */
    default void configureDirectory(java.util.List<ConfigFile<?>> files, GatewayContext gateway) {
    }
}
