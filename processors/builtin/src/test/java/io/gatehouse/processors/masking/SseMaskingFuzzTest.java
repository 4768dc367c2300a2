package io.gatehouse.processors.masking;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.gatehouse.spi.UnreadableBodyException;

/**
 * Coverage-guided fuzzing of the SSE parser behind stream masking: any stream, cut into chunks anywhere,
 * is either masked or refused as unreadable ({@link UnreadableBodyException}, the stream then ends with an
 * error event); no other exception, and never null. Corpus:
 * {@code src/test/resources/io/gatehouse/processors/masking/SseMaskingFuzzTestInputs}.
 */
class SseMaskingFuzzTest {

    private static final Masker MASKER = Masker.of(MaskingConfig.defaults());

    @FuzzTest(maxDuration = "20s")
    void anyEventStreamCutAnywhereIsMaskedOrRefusedAsUnreadable(FuzzedDataProvider data) {
        MaskingProtocol protocol = data.pickValue(MaskingProtocol.values());
        SseMasking sse = new SseMasking(MASKER, protocol, new MaskingCounts(), () -> { });
        try {
            while (data.remainingBytes() > 0) {
                byte[] chunk = data.consumeBytes(1 + data.consumeInt(0, 300));
                if (sse.onChunk(chunk) == null) {
                    throw new IllegalStateException("onChunk returned null");
                }
            }
            if (sse.onEnd() == null) {
                throw new IllegalStateException("onEnd returned null");
            }
        } catch (UnreadableBodyException refused) {
            // fail closed: the gateway ends the stream with an error event
        }
    }
}
