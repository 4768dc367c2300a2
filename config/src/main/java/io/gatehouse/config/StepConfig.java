package io.gatehouse.config;

/**
 * One pipeline step of one endpoint, bound to its factory's config record.
 *
 * @param id     the step id, e.g. {@code limits}
 * @param config the bound config record, of the type the step catalogue gave for {@code id}
 * @param nodeId unique within the gateway: {@code <endpoint>.<step>}, with {@code -2}, {@code -3} …
 *               appended when an endpoint uses a step id more than once
 * @param line   1-based line of the step in its endpoint file
 * @param column 1-based column of the step in its endpoint file
 */
public record StepConfig(String id, Record config, String nodeId, int line, int column) {

    public StepConfig {
        Checks.required("id", id);
        Checks.required("config", config);
        Checks.required("nodeId", nodeId);
    }

    /** The config as its record type, e.g. {@code step.config(factory.configType())}. */
    public <C extends Record> C config(Class<C> type) {
        return type.cast(config);
    }
}
