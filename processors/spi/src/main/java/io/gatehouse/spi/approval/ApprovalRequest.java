package io.gatehouse.spi.approval;

import io.gatehouse.spi.DecidingRule;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * A request to hold for approval, as the approval step describes it.
 *
 * @param endpointId      the endpoint it came to
 * @param recordId        the exchange that is held (its {@code Gatehouse-Request-Id})
 * @param requester       who sent it
 * @param operationKind   e.g. {@code batch-create}
 * @param model           the model it names, or null
 * @param batch           inputs it carries
 * @param method          HTTP method
 * @param path            request path
 * @param digest          SHA-256 (hex) of the canonical request
 * @param summary         one line for humans: no body content
 * @param reason          the requester's reason ({@code Gatehouse-Reason}), or null
 * @param rule            what asked for the approval
 * @param approverGroups  whose members may decide
 * @param approvalsNeeded how many distinct approvers must approve
 * @param mfa             what proves a second factor of an approver; {@link MfaRule#NONE} when not needed
 * @param maxUses         how many times the grant lets the request through
 * @param pendingTtl      how long it waits for decisions
 * @param grantTtl        how long a grant can be used once approved
 */
public record ApprovalRequest(String endpointId, String recordId, Person requester, String operationKind,
                              String model, int batch, String method, String path, String digest, String summary,
                              String reason, DecidingRule rule, Set<String> approverGroups, int approvalsNeeded,
                              MfaRule mfa, int maxUses, Duration pendingTtl, Duration grantTtl) {

    public ApprovalRequest {
        Objects.requireNonNull(endpointId, "endpointId");
        Objects.requireNonNull(recordId, "recordId");
        Objects.requireNonNull(requester, "requester");
        Objects.requireNonNull(operationKind, "operationKind");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(summary, "summary");
        Objects.requireNonNull(rule, "rule");
        approverGroups = Set.copyOf(approverGroups);
        if (approverGroups.isEmpty()) {
            throw new IllegalArgumentException("an approval needs at least one approver group");
        }
        if (approvalsNeeded < 1) {
            throw new IllegalArgumentException("approvalsNeeded must be at least 1, got " + approvalsNeeded);
        }
        if (maxUses < 1) {
            throw new IllegalArgumentException("maxUses must be at least 1, got " + maxUses);
        }
        mfa = mfa == null ? MfaRule.NONE : mfa;
        Objects.requireNonNull(pendingTtl, "pendingTtl");
        Objects.requireNonNull(grantTtl, "grantTtl");
    }
}
