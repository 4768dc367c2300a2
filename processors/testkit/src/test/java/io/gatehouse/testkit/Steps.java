package io.gatehouse.testkit;

import io.gatehouse.spi.ChunkTransformer;
import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Phase;
import io.gatehouse.spi.ProcessorFactory;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/** Small processors written inside the tests, to exercise the harness itself. */
final class Steps {

    record NoConfig() {
    }

    /** A factory with a fixed id and phase whose processor is made from the endpoint context. */
    static ProcessorFactory<NoConfig> factory(String id, Phase phase, Function<EndpointContext, GatewayProcessor> make) {
        return new ProcessorFactory<>() {
            @Override
            public String id() {
                return id;
            }

            @Override
            public Class<NoConfig> configType() {
                return NoConfig.class;
            }

            @Override
            public Phase phase() {
                return phase;
            }

            @Override
            public GatewayProcessor create(NoConfig config, EndpointContext endpoint) {
                return make.apply(endpoint);
            }
        };
    }

    static ProcessorFactory<NoConfig> factory(String id, Phase phase, GatewayProcessor processor) {
        return factory(id, phase, endpoint -> processor);
    }

    static ProcessorFactory<NoConfig> capturing(AtomicReference<EndpointContext> seen) {
        return factory("capture", Phase.OBSERVE, endpoint -> {
            seen.set(endpoint);
            return new GatewayProcessor() {
            };
        });
    }

    /**
     * Replaces {@code secret} with asterisks, even when the word is split across chunks: it holds
     * back the last five characters of what it has seen until the next chunk or the end.
     */
    static final class Redactor implements ChunkTransformer {
        private static final int HOLD = "secret".length() - 1;
        private String pending = "";

        @Override
        public byte[] onChunk(byte[] chunk) {
            String text = (pending + new String(chunk, StandardCharsets.UTF_8)).replace("secret", "******");
            int cut = Math.max(0, text.length() - HOLD);
            pending = text.substring(cut);
            return text.substring(0, cut).getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public byte[] onEnd() {
            byte[] rest = pending.getBytes(StandardCharsets.UTF_8);
            pending = "";
            return rest;
        }
    }

    static final ChunkTransformer UPPER_CASE = chunk ->
            new String(chunk, StandardCharsets.UTF_8).toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8);

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private Steps() {
    }
}
