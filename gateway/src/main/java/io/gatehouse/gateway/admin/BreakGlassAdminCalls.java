package io.gatehouse.gateway.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatehouse.spi.approval.Person;
import io.gatehouse.spi.breakglass.BreakGlassUse;
import io.gatehouse.spi.breakglass.BreakGlassWindow;
import io.gatehouse.store.approval.ApprovalRefusedException;
import io.gatehouse.store.audit.CanonicalJson;
import io.gatehouse.store.breakglass.BreakGlassStore;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The break-glass admin API, served on the approvals route ({@link ApprovalAdminRoutes}, same auth and pool):
 *
 * <ul>
 *   <li>{@code POST /admin/break-glass/open} {@code {"reason": "...", "for": "30m"}}: a member of
 *       {@code breakGlass.groups} opens their window (at most {@code breakGlass.maxWindow})</li>
 *   <li>{@code POST /admin/break-glass/close}: they close it</li>
 *   <li>{@code GET /admin/break-glass/uses?status=waiting|all&limit=N}: the review queue (reviewers and
 *       auditors)</li>
 *   <li>{@code POST /admin/break-glass/uses/{id}/acknowledge} {@code {"reason": "..."}}: a reviewer
 *       acknowledges a use, never their own</li>
 * </ul>
 * Every step is an audit event ({@code break_glass}).
 */
final class BreakGlassAdminCalls {

    static final String BASE = "/admin/break-glass";
    private static final Pattern ACK = Pattern.compile(BASE + "/uses/([A-Za-z0-9._-]{1,64})/acknowledge");
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(s|m|h)");

    private final BreakGlassStore breakGlass;
    private final Set<String> auditors;

    BreakGlassAdminCalls(BreakGlassStore breakGlass, List<String> auditors) {
        this.breakGlass = breakGlass;
        this.auditors = Set.copyOf(auditors);
    }

    /** The answer's JSON; refusals as {@link ApprovalRefusedException}, bad input as IllegalArgumentException. */
    JsonNode run(String method, String path, Map<String, List<String>> params, Person caller, byte[] body) {
        if (path.equals(BASE + "/open") || path.equals(BASE + "/close")) {
            requirePost(method, path);
            if (path.endsWith("/close")) {
                ObjectNode out = CanonicalJson.object();
                breakGlass.close(caller).ifPresentOrElse(w -> out.set("closed", json(w)), () -> out.putNull("closed"));
                return out;
            }
            JsonNode in = object(body);
            return json(breakGlass.open(caller, text(in, "reason"), duration(text(in, "for"))));
        }
        if (path.equals(BASE + "/uses")) {
            if (!method.equals("GET")) {
                throw new ApprovalRefusedException(405, "Method not allowed", "GET " + path + " lists uses");
            }
            boolean reviewer = caller.groups().stream().anyMatch(breakGlass.settings().reviewers()::contains)
                    || caller.groups().stream().anyMatch(auditors::contains);
            if (!reviewer) {
                throw new ApprovalRefusedException(403, "Not a reviewer", "the break-glass review queue is for members"
                        + " of breakGlass.reviewers and auditors");
            }
            String status = params.getOrDefault("status", List.of("waiting")).get(0);
            if (!status.equals("waiting") && !status.equals("all")) {
                throw new IllegalArgumentException("status must be waiting or all");
            }
            int limit = Integer.parseInt(params.getOrDefault("limit", List.of("100")).get(0));
            ArrayNode rows = CanonicalJson.MAPPER.createArrayNode();
            breakGlass.uses(status.equals("waiting"), limit).forEach(u -> rows.add(json(u)));
            ObjectNode out = CanonicalJson.object();
            out.put("count", rows.size());
            out.set("uses", rows);
            return out;
        }
        Matcher ack = ACK.matcher(path);
        if (ack.matches()) {
            requirePost(method, path);
            return json(breakGlass.acknowledge(ack.group(1), caller, text(object(body), "reason")));
        }
        throw new ApprovalRefusedException(404, "Not found", "the admin API has no " + path.replaceAll("[^ -~]", "?"));
    }

    private static void requirePost(String method, String path) {
        if (!method.equals("POST")) {
            throw new ApprovalRefusedException(405, "Method not allowed", "use POST " + path);
        }
    }

    private static JsonNode object(byte[] body) {
        if (body == null || body.length == 0) {
            return CanonicalJson.object();
        }
        try {
            JsonNode node = CanonicalJson.MAPPER.readTree(body);
            if (node != null && node.isObject()) {
                return node;
            }
        } catch (IOException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("the body must be a JSON object, e.g. {\"reason\": \"...\"}");
    }

    private static String text(JsonNode in, String field) {
        JsonNode v = in.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static Duration duration(String text) {
        if (text == null) {
            return null;
        }
        Matcher d = DURATION.matcher(text);
        if (!d.matches()) {
            throw new IllegalArgumentException("for '" + text.replaceAll("[^ -~]", "?") + "' is not a duration like"
                    + " 30s, 15m, 1h");
        }
        long n = Long.parseLong(d.group(1));
        return switch (d.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    static ObjectNode json(BreakGlassWindow w) {
        ObjectNode o = CanonicalJson.object();
        o.put("id", w.id()).put("opener", w.opener().username()).put("reason", w.reason())
                .put("openedAt", w.openedAt().toString()).put("expiresAt", w.expiresAt().toString())
                .put("closedAt", w.closedAt() == null ? null : w.closedAt().toString());
        return o;
    }

    static ObjectNode json(BreakGlassUse u) {
        ObjectNode o = CanonicalJson.object();
        o.put("id", u.id()).put("window", u.windowId()).put("username", u.user().username())
                .put("recordId", u.recordId()).put("endpoint", u.endpointId())
                .put("justification", u.justification()).put("at", u.at().toString());
        o.putObject("bypassed").put("policy", u.bypassed().policy()).put("rule", u.bypassed().rule())
                .put("reason", u.bypassed().reason());
        o.put("acknowledged", u.acknowledged()).put("reviewer", u.reviewer()).put("review", u.review())
                .put("reviewedAt", u.reviewedAt() == null ? null : u.reviewedAt().toString());
        return o;
    }
}
