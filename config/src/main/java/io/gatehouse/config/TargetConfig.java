package io.gatehouse.config;

/**
 * Where an endpoint sends its requests.
 *
 * @param agent   the name of an agent in {@code gateway.yaml}
 * @param service the name of the service that agent knows (it holds the model's address and credential)
 */
public record TargetConfig(String agent, String service) {

    public TargetConfig {
        Checks.required("agent", agent);
        Checks.required("service", service);
    }
}
