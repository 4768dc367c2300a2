package io.gatehouse.gateway.admin.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.gatehouse.agent.AgentCalls;
import io.gatehouse.agent.HeaderRules;
import io.gatehouse.agent.camel.AgentProducer;
import io.gatehouse.agent.proto.CallerIdentity;
import io.gatehouse.agent.proto.Decision;
import io.gatehouse.agent.proto.ForwardRequest;
import io.gatehouse.agent.proto.ForwardResponse;
import io.gatehouse.agent.proto.Header;
import io.gatehouse.config.EndpointConfig;
import io.gatehouse.spi.Identity;
import io.gatehouse.store.audit.AuditQuery;
import io.gatehouse.store.audit.AuditWriter;
import io.gatehouse.store.audit.CanonicalJson;
import io.gatehouse.store.audit.EventDraft;
import io.gatehouse.store.audit.EventType;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Replay-and-diff: re-sends a recorded request, as its record stores it, through an agent to another model
 * service (or version), records that call as an exchange of its own (endpoint {@value #ENDPOINT}: who
 * replayed, their session, which record, which service, the outcome) and compares the two answers
 * ({@link AnswerDiff}).
 *
 * <p>Only a request the gateway forwarded ({@code decision: allowed}) whose stored body is whole and unmasked
 * is re-sent: a body the recording cut or could not read, or with fields the recording masked or redacted, is
 * refused, naming the fields. The answer it is compared with must be whole too.
 */
public final class SessionReplay {

    /** The endpoint id of replay records. */
    public static final String ENDPOINT = "replay";
    /** Endpoints whose records are not model exchanges: never re-sent. */
    static final Set<String> NOT_MODEL_CALLS = Set.of("admin", ENDPOINT, "agent-tunnel", "config");
    /** The most bytes of a replayed answer kept for the comparison. */
    static final int MAX_ANSWER_BYTES = 8 * 1024 * 1024;
    /** The most bytes of a replayed answer a replay record keeps (when it keeps the body). */
    static final int MAX_STORED_BYTES = 64 * 1024;
    private static final Set<String> NOT_FORWARDED = Set.of("content-length", "host", "transfer-encoding",
            "expect");

    /** How to replay: to which service (and agent; null = the recorded endpoint's), ignoring which pointers. */
    public record Options(String service, String agent, List<String> ignored, Duration timeout) {
        public Options {
            if (service == null || service.isBlank()) {
                throw new IllegalArgumentException("service is required: the agent's service to replay to,"
                        + " e.g. service=shadow-model");
            }
            ignored = ignored == null ? AnswerDiff.DEFAULT_IGNORED : List.copyOf(ignored);
            ignored.forEach(AnswerDiff::tokens); // names a bad pointer
            timeout = timeout == null ? Duration.ofSeconds(120) : timeout;
        }
    }

    /** How one replay went; {@code body} is the answer's JSON. */
    public record Result(Outcome outcome, ObjectNode body) {
    }

    public enum Outcome {
        SAME, DIFFERENT, FAILED, REFUSED, NOT_FOUND;

        public String word() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private final AuditQuery query;
    private final AuditWriter writer;
    private final Function<String, AgentCalls> agents;
    private final Function<String, Optional<EndpointConfig>> endpoints;
    private final Clock clock;

    public SessionReplay(AuditQuery query, AuditWriter writer, Function<String, AgentCalls> agents,
                         Function<String, Optional<EndpointConfig>> endpoints, Clock clock) {
        this.query = query;
        this.writer = writer;
        this.agents = agents;
        this.endpoints = endpoints;
        this.clock = clock;
    }

    /** Replays one record for {@code caller}. */
    public Result one(String id, Options options, Identity caller) throws Exception {
        Optional<ObjectNode> found = query.show(id);
        if (found.isEmpty()) {
            return refusal(Outcome.NOT_FOUND, id, "no record with id '" + id + "'", null);
        }
        ObjectNode record = found.get();
        String recordId = record.path("recordId").asText();
        String endpointId = record.path("endpoint").asText();
        if (NOT_MODEL_CALLS.contains(endpointId)) {
            return refusal(Outcome.REFUSED, recordId, "record " + recordId + " is an exchange of '" + endpointId
                    + "', not a model call", null);
        }
        if (!"allowed".equals(record.path("decision").asText())) {
            return refusal(Outcome.REFUSED, recordId, "the gateway did not forward this request to a model"
                    + " (decision " + record.path("decision").asText() + "); only forwarded requests are re-sent",
                    null);
        }
        StoredRequest.Refusal refusal = StoredRequest.check(record);
        if (refusal != null) {
            ObjectNode members = CanonicalJson.object();
            ArrayNode fields = members.putArray("maskedFields");
            refusal.masked().forEach(fields::add);
            if (refusal.detectors() != null) {
                members.set("maskedBy", refusal.detectors());
            }
            return refusal(Outcome.REFUSED, recordId, refusal.reason(), members);
        }
        String answerProblem = StoredRequest.answerProblem(record);
        if (answerProblem != null) {
            return refusal(Outcome.REFUSED, recordId, answerProblem, null);
        }
        Optional<EndpointConfig> endpoint = endpoints.apply(endpointId);
        String agentName = options.agent() != null ? options.agent()
                : endpoint.map(e -> e.target().agent()).orElse(null);
        if (agentName == null) {
            return refusal(Outcome.REFUSED, recordId, "endpoint '" + endpointId + "' is no longer configured;"
                    + " name the agent to replay through (agent=...)", null);
        }
        AgentCalls agent = agents.apply(agentName);
        if (agent == null) {
            return refusal(Outcome.REFUSED, recordId, "no agent named '" + agentName + "'", null);
        }
        return send(record, endpoint.orElse(null), agentName, agent, options, caller);
    }

    private Result send(ObjectNode record, EndpointConfig endpoint, String agentName, AgentCalls agent,
                        Options options, Identity caller) throws Exception {
        String recordId = record.path("recordId").asText();
        String replayId = UUID.randomUUID().toString();
        JsonNode request = record.path("request");
        byte[] body = StoredRequest.bytes(request.path("body"));
        String path = endpoint != null && endpoint.target().stripPath()
                ? AgentProducer.stripped(request.path("path").asText(), endpoint.path())
                : request.path("path").asText();
        String query = request.path("query").asText("");
        ForwardRequest.Builder forward = ForwardRequest.newBuilder().setRequestId(replayId)
                .setService(options.service()).setMethod(request.path("method").asText("POST"))
                .setPath(query.isEmpty() ? path : path + "?" + query).setBody(ByteString.copyFrom(body))
                .setIdentity(identity(caller))
                .setDecision(Decision.newBuilder().setPolicy("admin").setRule("replay-diff"));
        for (Iterator<Map.Entry<String, JsonNode>> it = request.path("headers").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> h = it.next();
            if (HeaderRules.isStrippedFromRequest(h.getKey())
                    || NOT_FORWARDED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                continue;
            }
            for (JsonNode v : h.getValue()) {
                if (!v.asText().contains("[redacted]")) {
                    forward.addHeaders(Header.newBuilder().setName(h.getKey()).setValue(v.asText()));
                }
            }
        }
        Instant start = clock.instant();
        ObjectNode replayOf = CanonicalJson.object();
        replayOf.put("recordId", recordId).put("endpoint", record.path("endpoint").asText())
                .put("agent", agentName).put("service", options.service());
        try {
            writer.append(startEvent(replayId, start, record, replayOf)).get(30, TimeUnit.SECONDS);
        } catch (Exception notDurable) {
            return refusal(Outcome.FAILED, recordId, "the replay cannot be recorded, so it was not sent ("
                    + notDurable.getMessage() + ")", null);
        }
        Collected reply = new Collected();
        Instant deadline = start.plus(options.timeout());
        try {
            agent.forward(forward.build(), deadline, reply, null);
        } catch (RuntimeException e) {
            reply.fail(e.toString());
        }
        Collected.Reply answer;
        try {
            answer = reply.future.get(options.timeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            answer = Collected.Reply.failure("no answer within " + options.timeout().toSeconds() + " s");
        }
        JsonNode response = record.path("response");
        ObjectNode body1 = CanonicalJson.object();
        body1.put("recordId", recordId).put("replayRecordId", replayId).put("endpoint", record.path("endpoint")
                .asText()).put("agent", agentName).put("service", options.service());
        Outcome outcome;
        ObjectNode diff = null;
        if (answer.failure() != null) {
            outcome = Outcome.FAILED;
            body1.put("reason", "the replay got no answer: " + answer.failure());
        } else {
            AnswerDiff.Answer recorded = new AnswerDiff.Answer(response.path("status").asInt(),
                    StoredRequest.header(response.path("headers"), "content-type"),
                    response.path("streamed").asBoolean(false) || response.path("body").has("chunks"),
                    StoredRequest.bytes(response.path("body")));
            AnswerDiff.Answer replayed = new AnswerDiff.Answer(answer.status(), answer.contentType(),
                    answer.streamed(), answer.body());
            diff = AnswerDiff.compare(recorded, replayed, options.ignored());
            outcome = diff.path("outcome").asText().equals("same") ? Outcome.SAME : Outcome.DIFFERENT;
            body1.set("diff", diff);
            JsonNode storedMasking = record.path("storedMasking").path("response");
            if (storedMasking.isObject() && storedMasking.size() > 0) {
                body1.set("recordedAnswerMasked", storedMasking);
                body1.put("note", "the recorded answer is stored masked; masks in it show as differences");
            }
        }
        body1.put("outcome", outcome.word());
        ObjectNode end = endEvent(record, caller, start, replayOf, outcome, answer, diff);
        try {
            writer.append(EventDraft.of(EventType.END, replayId, clock.instant(), ENDPOINT, end))
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception notDurable) {
            body1.put("recordingProblem", "the replay's end record is not durable: " + notDurable.getMessage());
        }
        return new Result(outcome, body1);
    }

    /** Replays each record of a page of the sessions list (same filters), one after the other. */
    public ObjectNode batch(AuditQuery.Search search, Options options, Identity caller) throws Exception {
        AuditQuery.Page page = query.page(search);
        ObjectNode out = CanonicalJson.object();
        ArrayNode results = CanonicalJson.MAPPER.createArrayNode();
        int same = 0;
        int different = 0;
        int failed = 0;
        int skipped = 0;
        for (JsonNode row : page.rows()) {
            if (NOT_MODEL_CALLS.contains(row.path("endpoint").asText())) {
                skipped++;
                continue;
            }
            Result r = one(row.path("recordId").asText(), options, caller);
            ObjectNode line = results.addObject();
            line.put("recordId", row.path("recordId").asText()).put("endpoint", row.path("endpoint").asText())
                    .put("outcome", r.outcome() == Outcome.SAME || r.outcome() == Outcome.DIFFERENT
                            ? r.outcome().word() : "failed");
            switch (r.outcome()) {
                case SAME -> same++;
                case DIFFERENT -> different++;
                default -> failed++;
            }
            if (r.body().has("replayRecordId")) {
                line.put("replayRecordId", r.body().path("replayRecordId").asText());
            }
            if (r.body().has("reason")) {
                line.put("reason", r.body().path("reason").asText());
            }
            if (r.body().has("maskedFields")) {
                line.set("maskedFields", r.body().get("maskedFields"));
            }
            JsonNode diff = r.body().path("diff");
            if (!diff.isMissingNode()) {
                line.put("kind", diff.path("kind").asText());
                if (diff.has("changes")) {
                    line.put("changes", diff.path("changes").size());
                    line.set("paths", paths(diff.path("changes")));
                }
                if (diff.has("inline") && !diff.path("inline").asText().isEmpty()) {
                    line.put("inline", diff.path("inline").asText());
                }
                line.set("status", diff.path("status"));
            }
        }
        ObjectNode summary = out.putObject("summary");
        summary.put("replayed", same + different + failed).put("same", same).put("different", different)
                .put("failed", failed).put("skipped", skipped);
        out.put("service", options.service());
        out.set("results", results);
        out.put("next", page.next());
        return out;
    }

    private static ArrayNode paths(JsonNode changes) {
        ArrayNode paths = CanonicalJson.MAPPER.createArrayNode();
        changes.forEach(c -> paths.add(c.path("path").asText()));
        return paths;
    }

    private static Result refusal(Outcome outcome, String recordId, String reason, ObjectNode members) {
        ObjectNode body = members == null ? CanonicalJson.object() : members;
        body.put("recordId", recordId).put("outcome", outcome.word()).put("reason", reason);
        return new Result(outcome, body);
    }

    private EventDraft startEvent(String replayId, Instant start, ObjectNode record, ObjectNode replayOf) {
        ObjectNode p = CanonicalJson.object();
        ObjectNode request = record.path("request").deepCopy();
        request.remove("clientAddress");
        p.set("request", request);
        p.set("operation", record.path("operation").deepCopy());
        p.set("replayOf", replayOf);
        return EventDraft.of(EventType.START, replayId, start, ENDPOINT, p);
    }

    private ObjectNode endEvent(ObjectNode record, Identity caller, Instant start, ObjectNode replayOf,
                                Outcome outcome, Collected.Reply answer, ObjectNode diff) {
        ObjectNode p = CanonicalJson.object();
        boolean failed = answer.failure() != null;
        p.put("outcome", failed ? "failed" : "answered").put("decision", failed ? "failed" : "allowed")
                .put("status", failed ? 502 : answer.status()).put("complete", !failed)
                .put("durationMs", Duration.between(start, clock.instant()).toMillis());
        ObjectNode i = p.putObject("identity");
        i.put("subject", caller.subject()).put("username", caller.username()).put("issuer", caller.issuer())
                .put("clientId", caller.clientId());
        ArrayNode groups = i.putArray("groups");
        new TreeSet<>(caller.groups()).forEach(groups::add);
        p.put("username", caller.username());
        if (caller.sessionId() != null) {
            p.put("sessionId", caller.sessionId());
        }
        p.putObject("rule").put("policy", "admin").put("rule", "replay-diff")
                .put("reason", caller.username() + " holds the replay right");
        p.putNull("approvalId").putNull("masking").put("bytesIn", record.path("request").path("body").path("size").asLong());
        ObjectNode of = replayOf.deepCopy();
        of.put("outcome", outcome.word());
        if (diff != null) {
            of.put("kind", diff.path("kind").asText());
            if (diff.has("changes")) {
                of.set("paths", paths(diff.path("changes")));
            }
        }
        p.set("replayOf", of);
        if (failed) {
            p.putObject("denial").put("title", "Replay failed").put("detail", answer.failure());
            p.put("bytesOut", 0);
            return p;
        }
        p.put("bytesOut", answer.body().length);
        ObjectNode response = p.putObject("response");
        response.put("status", answer.status()).put("streamed", answer.streamed());
        ObjectNode headers = response.putObject("headers");
        if (answer.contentType() != null) {
            headers.putArray("content-type").add(answer.contentType());
        }
        ObjectNode stored = response.putObject("body");
        stored.put("size", answer.body().length).put("sha256", sha256(answer.body()));
        boolean endpointMasks = record.path("storedMasking").isObject();
        if (endpointMasks) {
            // The endpoint stores its answers masked, and a replay cannot run that endpoint's masking:
            // the replay record keeps the answer's size and digest, not its text.
            stored.put("omitted", "the endpoint records answers masked; a replay keeps their size and digest");
        } else {
            boolean truncated = answer.body().length > MAX_STORED_BYTES;
            stored.put("truncated", truncated);
            byte[] kept = truncated ? java.util.Arrays.copyOf(answer.body(), MAX_STORED_BYTES) : answer.body();
            stored.put("text", new String(kept, java.nio.charset.StandardCharsets.UTF_8));
        }
        return p;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static CallerIdentity identity(Identity id) {
        return CallerIdentity.newBuilder().setSubject(nonNull(id.subject())).setUsername(nonNull(id.username()))
                .setIssuer(nonNull(id.issuer())).addAllGroups(new TreeSet<>(id.groups()))
                .setClientId(nonNull(id.clientId())).build();
    }

    private static String nonNull(String s) {
        return s == null ? "" : s;
    }

    /** Collects one Forward's answer: head, chunks, end; or the failure. */
    static final class Collected implements StreamObserver<ForwardResponse> {

        record Reply(int status, String contentType, boolean streamed, byte[] body, String failure) {
            static Reply failure(String why) {
                return new Reply(0, null, false, new byte[0], why);
            }
        }

        final CompletableFuture<Reply> future = new CompletableFuture<>();
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private ForwardResponse.Head head;

        @Override
        public synchronized void onNext(ForwardResponse value) {
            switch (value.getPartCase()) {
                case HEAD -> head = value.getHead();
                case CHUNK -> {
                    if (bytes.size() + value.getChunk().getData().size() > MAX_ANSWER_BYTES) {
                        fail("the replayed answer is larger than " + MAX_ANSWER_BYTES + " bytes");
                    } else {
                        bytes.writeBytes(value.getChunk().getData().toByteArray());
                    }
                }
                case WHOLE -> {
                    head = value.getWhole().getHead();
                    bytes.writeBytes(value.getWhole().getBody().toByteArray());
                    complete();
                }
                case END -> complete();
                case FAILURE -> fail(value.getFailure().getCode() + ": " + value.getFailure().getMessage());
                default -> {
                }
            }
        }

        private void complete() {
            if (head == null) {
                fail("the agent sent no response head");
                return;
            }
            String type = null;
            for (Header h : head.getHeadersList()) {
                if (h.getName().equalsIgnoreCase("content-type")) {
                    type = h.getValue();
                }
            }
            future.complete(new Reply(head.getStatus(), type, head.getStreamed(), bytes.toByteArray(), null));
        }

        void fail(String why) {
            future.complete(Reply.failure(why));
        }

        @Override
        public void onError(Throwable t) {
            fail(t.getMessage() == null ? t.toString() : t.getMessage());
        }

        @Override
        public synchronized void onCompleted() {
            if (!future.isDone()) {
                complete();
            }
        }
    }
}
