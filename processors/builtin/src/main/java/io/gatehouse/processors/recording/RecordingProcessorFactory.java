package io.gatehouse.processors.recording;

import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Phase;
import io.gatehouse.spi.ProcessorFactory;
import io.gatehouse.spi.audit.AuditLog;
import java.time.Duration;

/**
 * The {@code recording} step: every exchange of the endpoint is recorded in the gateway's
 * {@link AuditLog} (a hash-chained, checkpoint-signed log in the store), whatever its outcome. Put it first in
 * the pipeline so that denials by the steps after it are recorded too.
 */
public final class RecordingProcessorFactory implements ProcessorFactory<RecordingConfig> {

    public static final String ID = "recording";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Class<RecordingConfig> configType() {
        return RecordingConfig.class;
    }

    @Override
    public Phase phase() {
        return Phase.OBSERVE;
    }

    @Override
    public GatewayProcessor create(RecordingConfig config, EndpointContext endpoint) {
        AuditLog log = endpoint.services().require(AuditLog.class, ID);
        if (config.retentionDays() != null) {
            log.retain(endpoint.endpointId(), Duration.ofDays(config.retentionDays()));
        }
        StoredMasking masking = config.masking() == null ? null
                : new StoredMasking(config.masking(), endpoint.protocol());
        return new RecordingProcessor(config, log, endpoint.clock(), masking);
    }
}
