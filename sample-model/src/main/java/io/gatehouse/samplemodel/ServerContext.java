package io.gatehouse.samplemodel;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the endpoints of one server share: its settings, start time, response id counter, the LoRA
 * adapters loaded at run time (vLLM's {@code /v1/load_lora_adapter}) and the admin operation counts.
 */
final class ServerContext {

    private final SampleModelSettings settings;
    private final long startedAt = System.currentTimeMillis() / 1000;
    private final AtomicLong ids = new AtomicLong();
    /** LoRA adapter name to the path it was loaded from; served as models beside the base ones. */
    private final Map<String, String> loras = new ConcurrentHashMap<>();
    private final AdminCounters admin = new AdminCounters();

    ServerContext(SampleModelSettings settings) {
        this.settings = settings;
    }

    SampleModelSettings settings() {
        return settings;
    }

    long startedAt() {
        return startedAt;
    }

    long nextId() {
        return ids.incrementAndGet();
    }

    static long now() {
        return System.currentTimeMillis() / 1000;
    }

    Map<String, String> loras() {
        return loras;
    }

    AdminCounters admin() {
        return admin;
    }

    /** A base model or a loaded LoRA adapter. */
    boolean serves(String model) {
        return settings.models().contains(model) || loras.containsKey(model);
    }

    /** The request's {@code model}, which must be one this server serves (else 404 model_not_found). */
    String requireModel(RequestBody body) {
        String model = body.requireString("model");
        if (!serves(model)) {
            throw ApiException.modelNotFound(model);
        }
        return model;
    }
}
