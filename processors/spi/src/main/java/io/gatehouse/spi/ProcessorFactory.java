package io.gatehouse.spi;

/**
 * Creates a {@link GatewayProcessor} for one pipeline step of one endpoint.
 *
 * <p><b>Lifecycle.</b> The gateway finds factories with {@link java.util.ServiceLoader}, once, at
 * start. It binds each step's YAML strictly to {@link #configType()} (unknown keys are errors; the
 * record's canonical constructor may throw {@link ConfigException} to reject a value) and calls
 * {@link #create} once per endpoint at config load, never per request. A config reload creates new
 * processors and {@link GatewayProcessor#close() closes} the old ones once they are idle.
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
}
