package io.gatehouse.processors.masking;

/**
 * How a detected value is replaced. Written in config as {@code redact}, {@code partial}, {@code hash},
 * {@code drop-field}.
 */
public enum Strategy {
    /** {@code [EMAIL]}: the detector's label only. */
    REDACT,
    /** {@code ****4242}: the last four letters or digits; an email keeps its first letter and its domain. */
    PARTIAL,
    /**
     * {@code [EMAIL:3f2a9c1b0d44]}: the label and an HMAC-SHA256 of the value under the configured
     * {@code hashKey}, so one value always masks the same way and can be correlated without being shown.
     */
    HASH,
    /**
     * In JSON, the member that holds the value is removed (an array element or a top-level string is
     * redacted instead, so positions and shapes stay valid). In plain text and stream deltas, as {@link #REDACT}.
     */
    DROP_FIELD
}
