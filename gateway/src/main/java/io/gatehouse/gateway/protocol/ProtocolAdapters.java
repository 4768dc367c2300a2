package io.gatehouse.gateway.protocol;

import java.util.Map;
import java.util.Optional;

/** The protocol adapters this build knows, by config name. */
public final class ProtocolAdapters {

    private static final Map<String, ProtocolAdapter> ADAPTERS = Map.of(
            "openai", new OpenAiAdapter(),
            "ollama", new OllamaAdapter(),
            "kserve-v2", new KServeAdapter(),
            "raw", new RawAdapter());

    private ProtocolAdapters() {
    }

    public static Optional<ProtocolAdapter> forName(String name) {
        return Optional.ofNullable(ADAPTERS.get(name));
    }
}
