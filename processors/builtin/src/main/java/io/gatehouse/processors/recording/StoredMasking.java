package io.gatehouse.processors.recording;

import io.gatehouse.processors.masking.BodyMasking;
import io.gatehouse.processors.support.MaskedAnswer;
import io.gatehouse.processors.masking.Masker;
import io.gatehouse.processors.masking.MaskingConfig;
import io.gatehouse.spi.Headers;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recording's own masking ({@code recording.masking}): what the record stores is masked with the
 * masking step's engine and readers, whatever the client got. What it cannot read it does not store
 * (fail closed); it never throws, so recording never fails an exchange for it. Thread-safe.
 */
final class StoredMasking {

    /** In place of a body's bytes when the recording's masking could not read it. */
    static final String OMITTED = "the recording's masking could not read this body";

    private static final Logger LOG = LoggerFactory.getLogger(StoredMasking.class);

    private final Masker masker;
    private final BodyMasking bodies;

    StoredMasking(RecordingMaskingConfig config, String endpointProtocol) {
        MaskingConfig masking = config.maskingConfig();
        this.masker = Masker.of(masking);
        this.bodies = new BodyMasking(masker, BodyMasking.protocol(masking.protocol(), endpointProtocol));
    }

    /** A whole body masked; empty when it could not be read (store none of it). */
    Optional<BodyMasking.Result> whole(byte[] body, Headers headers, boolean request) {
        return whole(body, headers, request, null);
    }

    /**
     * A whole body masked, or a response taken as the masking step handed it on when it masked it under
     * these very rules ({@link MaskedAnswer}); empty when it could not be read (store none of it).
     */
    Optional<BodyMasking.Result> whole(byte[] body, Headers headers, boolean request, MaskedAnswer handedOn) {
        try {
            return Optional.of(bodies.whole(body, headers, request, handedOn));
        } catch (RuntimeException unreadable) {
            LOG.debug("a {} body is left out of its record: {}", request ? "request" : "response",
                    unreadable.getMessage());
            return Optional.empty();
        }
    }

    /**
     * A streamed response's masker: empty when the body is binary (stored as it is).
     *
     * @throws RuntimeException when the stream cannot be read at all (store none of it)
     */
    Optional<BodyMasking.Stream> stream(Headers headers) {
        return bodies.stream(headers);
    }

    /** A text of the record (a denial's detail, an error) masked whole. */
    String text(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        try {
            return masker.maskText(text).text();
        } catch (RuntimeException e) {
            return "[not recorded: the recording's masking could not read this text]";
        }
    }

    @Override
    public String toString() {
        return "protocol=" + bodies.protocol().configName();
    }
}
