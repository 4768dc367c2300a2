package io.gatehouse.processors.masking;

import io.gatehouse.spi.Secret;
import java.util.List;
import java.util.Map;

/**
 * What decides how a whole body is masked: the body's protocol, the detectors with their strategies, the
 * phone regions, the custom patterns, dictionaries and field rules, and the hash key. A config's window,
 * event size, exemptions and which bodies it masks do not change how a given whole body comes out, so
 * two configs with equal rules mask a whole body alike.
 */
record MaskingRules(MaskingProtocol protocol, Map<String, Strategy> detectors, List<String> phoneRegions,
                    List<MaskingConfig.PatternRule> patterns, List<MaskingConfig.DictionaryRule> dictionaries,
                    List<MaskingConfig.FieldRule> fields, Secret hashKey) {

    static MaskingRules of(MaskingConfig config, MaskingProtocol protocol) {
        return new MaskingRules(protocol, config.detectors(), config.phoneRegions(), config.patterns(),
                config.dictionaries(), config.fields(), config.hashKey());
    }
}
