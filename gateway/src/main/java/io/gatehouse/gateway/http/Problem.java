package io.gatehouse.gateway.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.spi.DecidingRule;
import io.gatehouse.spi.Outcome;
import java.util.Map;

/**
 * An {@code application/problem+json} answer (RFC 9457). Besides the standard members it carries
 * {@code requestId} and, for decisions, {@code policy}, {@code rule} and {@code reason}. For OpenAI
 * endpoints it also carries an OpenAI-style {@code error} member, so the OpenAI SDKs show the
 * detail to their users instead of a bare status.
 */
public record Problem(int status, String title, String detail, DecidingRule rule, Map<String, String> headers) {

    public static final String CONTENT_TYPE = "application/problem+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public Problem {
        headers = Map.copyOf(headers);
    }

    public static Problem of(int status, String title, String detail) {
        return new Problem(status, title, detail, null, Map.of());
    }

    public static Problem from(Outcome.Deny deny) {
        return new Problem(deny.status(), deny.title(), deny.detail(), deny.rule(), deny.headers());
    }

    /** The same problem as a denial, for completion reporting. */
    public Outcome.Deny asDenial() {
        DecidingRule r = rule != null ? rule : new DecidingRule("gateway", "error", detail);
        return new Outcome.Deny(status, title, detail, r, headers);
    }

    public byte[] toJson(String requestId, String instance, boolean openAiStyle) {
        ObjectNode node = JSON.createObjectNode();
        node.put("type", rule == null ? "about:blank" : "urn:gatehouse:problem:" + rule.policy() + ":" + rule.rule());
        node.put("title", title);
        node.put("status", status);
        node.put("detail", detail);
        if (instance != null) {
            node.put("instance", instance);
        }
        node.put("requestId", requestId);
        if (rule != null) {
            node.put("policy", rule.policy());
            node.put("rule", rule.rule());
            node.put("reason", rule.reason());
        }
        if (openAiStyle) {
            ObjectNode error = node.putObject("error");
            error.put("message", title + ": " + detail);
            error.put("type", rule == null ? "gateway_error" : rule.policy());
            error.put("code", rule == null ? null : rule.rule());
        }
        try {
            return JSON.writeValueAsBytes(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write problem json", e);
        }
    }
}
