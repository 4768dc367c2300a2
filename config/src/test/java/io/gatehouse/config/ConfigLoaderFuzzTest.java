package io.gatehouse.config;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Coverage-guided fuzzing of the config loader: any {@code gateway.yaml} and endpoint file either loads
 * or is refused with errors that name file, line and field ({@link LoadResult}); the loader never throws
 * (a bad config must never stop the gateway with a stack trace, nor replace a running config on reload).
 * Corpus: {@code src/test/resources/io/gatehouse/config/ConfigLoaderFuzzTestInputs}.
 */
class ConfigLoaderFuzzTest {

    private static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("gatehouse-config-fuzz-");
            Files.createDirectories(DIR.resolve("endpoints"));
            DIR.toFile().deleteOnExit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @FuzzTest(maxDuration = "20s")
    void anyConfigLoadsOrIsRefusedWithErrorsThatNameTheirPlace(FuzzedDataProvider data) throws IOException {
        Files.writeString(DIR.resolve("endpoints/chat.yaml"), data.consumeString(400));
        Files.writeString(DIR.resolve("gateway.yaml"), data.consumeRemainingAsString());
        LoadResult<GatewayConfig> result = new ConfigLoader(TestSteps.CATALOGUE, name -> null).load(DIR);
        if (!result.isValid()) {
            for (String error : result.formattedErrors()) {
                if (error == null || error.isBlank()) {
                    throw new IllegalStateException("an empty error message");
                }
            }
        }
    }
}
