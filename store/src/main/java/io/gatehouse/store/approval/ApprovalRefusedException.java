package io.gatehouse.store.approval;

import java.util.Map;

/**
 * A decision or cancellation that the rules refuse: the status, title and detail of the problem
 * answer, safe to show to the caller.
 */
public final class ApprovalRefusedException extends RuntimeException {

    private final int status;
    private final String title;
    private final Map<String, String> headers;

    public ApprovalRefusedException(int status, String title, String detail) {
        this(status, title, detail, Map.of());
    }

    public ApprovalRefusedException(int status, String title, String detail, Map<String, String> headers) {
        super(detail);
        this.status = status;
        this.title = title;
        this.headers = Map.copyOf(headers);
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    public String detail() {
        return getMessage();
    }

    /** Extra response headers, e.g. {@code WWW-Authenticate} when a second factor is missing. */
    public Map<String, String> headers() {
        return headers;
    }
}
