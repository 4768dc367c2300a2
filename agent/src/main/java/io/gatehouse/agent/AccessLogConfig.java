package io.gatehouse.agent;

/**
 * The agent's access log: one line per Forward call, written by a background thread so that no
 * event loop ever waits for a log appender. Lines go to the logger {@code io.gatehouse.agent.AgentServer}
 * at INFO with the marker {@code ACCESS}, as {@code key=value} pairs; they never hold a header value,
 * a body or a query string.
 *
 * @param enabled false writes no access log at all; default true
 */
public record AccessLogConfig(Boolean enabled) {

    public AccessLogConfig {
        if (enabled == null) {
            enabled = true;
        }
    }

    /** The default: enabled. */
    public static AccessLogConfig defaults() {
        return new AccessLogConfig(null);
    }
}
