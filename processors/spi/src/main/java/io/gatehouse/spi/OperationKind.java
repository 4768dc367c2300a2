package io.gatehouse.spi;

/** What a request asks the model server to do, as classified by the endpoint's protocol adapter. */
public enum OperationKind {
    CHAT, COMPLETION, EMBEDDINGS, LIST_MODELS, RESPONSES, BATCH_CREATE, FILE_UPLOAD, FINE_TUNE, MODEL_LOAD,
    MODEL_UNLOAD, MODEL_ADMIN, INFER, RAW;

    /** The lower-case, dash-separated name used in config and audit records: {@code list-models}. */
    public String configName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
