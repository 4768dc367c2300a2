package io.gatehouse.samplemodel;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * OpenAI fine-tuning, {@code /v1/fine_tuning/jobs}: {@code POST} creates a job from an uploaded training file
 * (counted, {@code openai.fine_tuning.create}) and answers it {@code queued}; the sample model "trains" at
 * once, so every later read finds it {@code succeeded} with {@code fine_tuned_model}
 * {@code ft:<model>:<suffix>:<id>}. {@code GET} lists, {@code GET …/{id}} reads one,
 * {@code POST …/{id}/cancel} cancels (a finished job cannot be), {@code GET …/{id}/events} lists its events.
 */
final class FineTuningEndpoint implements Endpoint {

    static final String PATH = "/v1/fine_tuning/jobs";

    private final ServerContext context;
    private final SampleFiles files;
    private final Map<String, Map<String, Object>> jobs = new ConcurrentHashMap<>();

    FineTuningEndpoint(ServerContext context, SampleFiles files) {
        this.context = context;
        this.files = files;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        String rest = exchange.getRequestURI().getPath().substring(PATH.length());
        if (rest.isEmpty() || rest.equals("/")) {
            if (method.equals("POST")) {
                HttpIo.sendJson(exchange, 200, create(HttpIo.readJson(exchange)));
            } else if (method.equals("GET")) {
                List<Map<String, Object>> list = new ArrayList<>();
                jobs.values().stream().sorted((a, b) -> Long.compare((Long) b.get("created_at"),
                        (Long) a.get("created_at"))).forEach(j -> list.add(finished(j)));
                HttpIo.sendJson(exchange, 200, Json.object("object", "list", "data", list, "has_more", false));
            } else {
                FilesEndpoint.notAllowed(exchange, "GET, POST");
            }
            return;
        }
        String[] parts = rest.substring(1).split("/", 2);
        Map<String, Object> job = jobs.get(parts[0]);
        if (job == null) {
            throw new ApiException(404, ApiException.INVALID_REQUEST, "fine_tune_not_found", "fine_tune_id",
                    "Could not find fine tune: " + parts[0]);
        }
        String action = parts.length == 2 ? parts[1] : "";
        if (action.isEmpty() && method.equals("GET")) {
            HttpIo.sendJson(exchange, 200, finished(job));
        } else if (action.equals("events") && method.equals("GET")) {
            HttpIo.sendJson(exchange, 200, Json.object("object", "list", "has_more", false, "data", List.of(
                    Json.object("object", "fine_tuning.job.event", "id", "ftevent-" + parts[0].substring(6),
                            "created_at", job.get("created_at"), "level", "info", "message", "Job succeeded.",
                            "data", Json.object(), "type", "message"))));
        } else if (action.equals("cancel") && method.equals("POST")) {
            throw ApiException.badRequest("invalid_state", null, "Job " + parts[0] + " has already succeeded and"
                    + " cannot be cancelled.");
        } else {
            FilesEndpoint.notAllowed(exchange, action.isEmpty() ? "GET" : action.equals("cancel") ? "POST" : "GET");
        }
    }

    private Map<String, Object> create(RequestBody body) {
        String model = context.requireModel(body);
        String trainingFile = body.requireString("training_file");
        files.file(trainingFile);
        String validationFile = body.optionalString("validation_file", null);
        if (validationFile != null) {
            files.file(validationFile);
        }
        String suffix = body.optionalString("suffix", null);
        long seed = body.has("seed") ? body.optionalInt("seed", 0, 0, Integer.MAX_VALUE) : 42;
        String id = "ftjob-" + String.format("%06d", context.nextId());
        Object hyper = body.has("hyperparameters") ? body.optionalObject("hyperparameters")
                : Json.object("batch_size", "auto", "learning_rate_multiplier", "auto", "n_epochs", "auto");
        Map<String, Object> job = Json.object(
                "object", "fine_tuning.job", "id", id, "model", model, "created_at", ServerContext.now(),
                "fine_tuned_model", null, "organization_id", "org-gatehouse-sample", "result_files", List.of(),
                "status", "queued", "validation_file", validationFile, "training_file", trainingFile,
                "hyperparameters", hyper, "trained_tokens", null, "error", null, "finished_at", null,
                "estimated_finish", null, "integrations", List.of(), "seed", seed, "user_provided_suffix", suffix,
                "metadata", body.has("metadata") ? body.get("metadata") : null,
                "method", Json.object("type", "supervised", "supervised", Json.object("hyperparameters", hyper)));
        jobs.put(id, job);
        context.admin().count("openai.fine_tuning.create");
        return job;
    }

    /** The job as read after its creation: trained (the sample model is fast). */
    private static Map<String, Object> finished(Map<String, Object> job) {
        Map<String, Object> done = new java.util.LinkedHashMap<>(job);
        String suffix = (String) job.get("user_provided_suffix");
        done.put("status", "succeeded");
        done.put("fine_tuned_model", "ft:" + job.get("model") + ":" + (suffix == null ? "sample" : suffix) + ":"
                + job.get("id"));
        done.put("finished_at", job.get("created_at"));
        done.put("trained_tokens", 1000L);
        done.put("result_files", List.of());
        return done;
    }
}
