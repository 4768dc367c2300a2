package io.gatehouse.samplemodel;

import java.util.concurrent.atomic.AtomicLong;

/** What the endpoints of one server share: its settings, start time and response id counter. */
final class ServerContext {

    private final SampleModelSettings settings;
    private final long startedAt = System.currentTimeMillis() / 1000;
    private final AtomicLong ids = new AtomicLong();

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

    /** The request's {@code model}, which must be one this server serves (else 404 model_not_found). */
    String requireModel(RequestBody body) {
        String model = body.requireString("model");
        if (!settings.models().contains(model)) {
            throw ApiException.modelNotFound(model);
        }
        return model;
    }
}
