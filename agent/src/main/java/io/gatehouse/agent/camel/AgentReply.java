package io.gatehouse.agent.camel;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Flow;

/**
 * The agent's answer as soon as its head arrives.
 *
 * @param status   the model server's status
 * @param headers  its headers without hop-by-hop ones
 * @param streamed true for SSE/NDJSON or a body without Content-Length
 * @param body     the body's chunks as the model produces them, for one subscriber; cancelling it
 *                 cancels the call. Whoever takes the reply must read it to the end or cancel it, or
 *                 the call stays open until its deadline.
 */
public record AgentReply(int status, Map<String, List<String>> headers, boolean streamed, Flow.Publisher<byte[]> body) {
}
