package io.gatehouse.config;

/**
 * Where an endpoint sends its requests.
 *
 * @param agent     the name of an agent in {@code gateway.yaml}
 * @param service   the name of the service that agent knows (it holds the model's address and credential)
 * @param stripPath whether the endpoint's path prefix is removed before the request goes to the model: an
 *                  endpoint at {@code /ollama} in front of Ollama sends {@code /ollama/api/chat} on as
 *                  {@code /api/chat}. Default false (the path goes on as the client sent it). Policies,
 *                  approvals and records still see the path the client sent.
 */
public record TargetConfig(String agent, String service, Boolean stripPath) {

    public TargetConfig {
        Checks.required("agent", agent);
        Checks.required("service", service);
        stripPath = stripPath != null && stripPath;
    }

    public TargetConfig(String agent, String service) {
        this(agent, service, false);
    }
}
