package io.gatehouse.processors.approval;

import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayContext;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.GatewaySection;
import io.gatehouse.spi.Phase;
import io.gatehouse.spi.ProcessorFactory;
import io.gatehouse.spi.approval.ApprovalService;
import io.gatehouse.spi.breakglass.BreakGlassService;
import java.util.Optional;

/**
 * The {@code approval} step: holds high-impact requests for a human decision — those a policy
 * marks with {@code require-approval} and those its own {@code when} names — and lets a request
 * through once an approval bound to it exists. Approvals live in the gateway's store, reached through
 * the {@link ApprovalService} the gateway offers; the step owns the {@code approvals:} section of {@code gateway.yaml}
 * (webhooks). Put it after {@code auth} and the policy step.
 */
public final class ApprovalProcessorFactory implements ProcessorFactory<ApprovalConfig> {

    public static final String ID = "approval";
    public static final GatewaySection<ApprovalsSection> SECTION = GatewaySection.of("approvals",
            ApprovalsSection.class);
    static final String WEBHOOKS = "webhooks";

    private WebhookNotifier notifier;

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Class<ApprovalConfig> configType() {
        return ApprovalConfig.class;
    }

    @Override
    public Phase phase() {
        return Phase.APPROVE;
    }

    @Override
    public Optional<GatewaySection<?>> gatewaySection() {
        return Optional.of(SECTION);
    }

    /** Subscribes this load's webhooks to the gateway's approvals (replacing the previous load's). */
    @Override
    public void configureGateway(Record section, GatewayContext gateway) {
        ApprovalsSection approvals = SECTION.cast(section);
        Optional<ApprovalService> service = gateway.services().find(ApprovalService.class);
        if (service.isEmpty()) {
            return;
        }
        WebhookNotifier previous = notifier;
        notifier = new WebhookNotifier(approvals, service.get().stats(), gateway.clock());
        Optional<BreakGlassService> breakGlass = gateway.services().find(BreakGlassService.class);
        if (approvals.webhooks().isEmpty()) {
            service.get().stopListening(WEBHOOKS);
            breakGlass.ifPresent(b -> b.stopListening(WEBHOOKS));
        } else {
            service.get().listen(WEBHOOKS, notifier);
            WebhookNotifier current = notifier;
            breakGlass.ifPresent(b -> b.listen(WEBHOOKS, current::onBreakGlass));   // break-glass uses, at once
        }
        if (previous != null) {
            previous.close();
        }
    }

    @Override
    public GatewayProcessor create(ApprovalConfig config, EndpointContext endpoint) {
        ApprovalService approvals = endpoint.services().require(ApprovalService.class, ID);
        return new ApprovalProcessor(config, approvals, endpoint.endpointId());
    }
}
