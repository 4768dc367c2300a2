package io.gatehouse.processors.recording;

import io.gatehouse.processors.masking.MaskingConfig;
import io.gatehouse.processors.masking.MaskingProtocol;
import io.gatehouse.processors.masking.Strategy;
import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.Secret;
import java.util.List;
import java.util.Map;

/**
 * The {@code masking:} block of the {@code recording} step: how what the record stores is masked, with
 * the keys and defaults of the {@code masking} step (docs/masking.md) less {@code request},
 * {@code response} and {@code exemptGroups}.
 *
 * <p>A record of its own rather than the masking step's {@link MaskingConfig} with those three keys
 * refused: the loader then answers a stray {@code exemptGroups} with the keys this block accepts, and
 * the published JSON Schema lists only keys that mean something here. The record always masks both
 * bodies and exempts no one, so the three keys have no job. Every check is the masking step's: the
 * constructor builds the {@link MaskingConfig}, whose errors name the same components.
 *
 * @param protocol      the body shape: {@code openai}, {@code ollama}, {@code kserve-v2} or {@code generic}.
 *                      Default: the endpoint's protocol when it is one of these, else {@code generic}.
 * @param detectors     the built-in detectors to run and each one's strategy. Default: all of them, redact.
 * @param phoneRegions  the regions of phone numbers written without {@code +country}. Default as the masking step.
 * @param patterns      custom regular expressions, each a detector of its own. Default none.
 * @param dictionaries  lists of terms (whole words), each a detector of its own. Default none.
 * @param fields        JSON paths whose values are masked whatever they hold. Default none.
 * @param hashKey       the HMAC key of the {@code hash} strategy; required when a strategy is {@code hash}.
 * @param window        the most characters a stream holds back to catch a value split across chunks. Default 512.
 * @param maxEventBytes the largest SSE event or NDJSON line the recording's masking reads; a larger one leaves
 *                      the streamed body out of the record. Default 1MiB.
 */
public record RecordingMaskingConfig(MaskingProtocol protocol, Map<String, Strategy> detectors,
                                     List<String> phoneRegions, List<MaskingConfig.PatternRule> patterns,
                                     List<MaskingConfig.DictionaryRule> dictionaries,
                                     List<MaskingConfig.FieldRule> fields, Secret hashKey, Integer window,
                                     ByteSize maxEventBytes) {

    public RecordingMaskingConfig {
        maskingConfig(protocol, detectors, phoneRegions, patterns, dictionaries, fields, hashKey, window,
                maxEventBytes); // checks every value, naming the component at fault
    }

    /** Every default: all built-in detectors redacting, the endpoint's protocol. */
    public static RecordingMaskingConfig defaults() {
        return new RecordingMaskingConfig(null, null, null, null, null, null, null, null, null);
    }

    /** The masking engine's config: both bodies, no exemption. */
    public MaskingConfig maskingConfig() {
        return maskingConfig(protocol, detectors, phoneRegions, patterns, dictionaries, fields, hashKey, window,
                maxEventBytes);
    }

    private static MaskingConfig maskingConfig(MaskingProtocol protocol, Map<String, Strategy> detectors,
                                               List<String> phoneRegions, List<MaskingConfig.PatternRule> patterns,
                                               List<MaskingConfig.DictionaryRule> dictionaries,
                                               List<MaskingConfig.FieldRule> fields, Secret hashKey, Integer window,
                                               ByteSize maxEventBytes) {
        return new MaskingConfig(true, true, protocol, detectors, phoneRegions, patterns, dictionaries, fields,
                hashKey, window, maxEventBytes, null);
    }
}
