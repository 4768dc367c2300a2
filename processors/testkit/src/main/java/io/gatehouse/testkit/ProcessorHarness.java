package io.gatehouse.testkit;

import io.gatehouse.spi.Completion;
import io.gatehouse.spi.EndpointContext;
import io.gatehouse.spi.GatewayContext;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.GatewayServices;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.ProcessorFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Assertions;

/**
 * Creates one processor from its factory and config, as the gateway would at load, and runs its
 * phases on {@link TestExchange}s. The processor sees endpoint {@code test}, protocol {@code raw}
 * and a {@link TestClock} unless the {@link Builder} says otherwise.
 *
 * <p>A factory that owns a section of {@code gateway.yaml} gets it first, as the gateway would:
 * {@link Builder#gateway(Record)} names the bound section record.
 *
 * <p>Contract violations are reported the way the gateway reports them, naming the processor and
 * the endpoint: a null request outcome, a transformer returning null, an observer or
 * {@code onComplete} throwing, attaching to the body after {@code onResponse}, setting the identity
 * from a step that is not an AUTHENTICATE step.
 *
 * @param <C> the processor's config record
 */
public final class ProcessorHarness<C extends Record> implements AutoCloseable {

    private final ProcessorFactory<C> factory;
    private final C config;
    private final EndpointContext endpoint;
    private final TestClock clock;
    private final Duration timeout;
    private final Step step;
    private final GatewayProcessor processor;

    private ProcessorHarness(Builder<C> b) {
        this.factory = b.factory;
        this.config = b.config;
        this.clock = b.clock;
        this.timeout = b.timeout;
        String stepId = b.stepId == null ? b.endpointId + "." + factory.id() : b.stepId;
        this.endpoint = new EndpointContext(b.endpointId, b.protocol, stepId, b.pathPrefix, clock, b.services);
        this.step = new Step(factory.id(), factory.phase(), b.endpointId);
        if (b.gatewaySection != null) {
            if (factory.gatewaySection().isEmpty()) {
                throw new IllegalStateException("factory '" + factory.id() + "' owns no section of gateway.yaml,"
                        + " so it cannot be given one");
            }
            factory.gatewaySection().get().cast(b.gatewaySection);
            factory.configureGateway(b.gatewaySection, new GatewayContext(b.dataDirectory, clock, b.services));
        }
        this.processor = factory.create(config, endpoint);
        if (processor == null) {
            throw new IllegalStateException("factory '" + factory.id() + "' (" + factory.getClass().getName()
                    + ") returned null from create");
        }
    }

    /** A harness with every default: endpoint {@code test}, protocol {@code raw}, a {@link TestClock}. */
    public static <C extends Record> ProcessorHarness<C> of(ProcessorFactory<C> factory, C config) {
        return builder(factory, config).build();
    }

    public static <C extends Record> Builder<C> builder(ProcessorFactory<C> factory, C config) {
        return new Builder<>(factory, config);
    }

    /**
     * Runs the request phase ({@code onRequestAsync}) and waits for its outcome.
     *
     * @throws IllegalStateException when the processor returns null
     * @throws RuntimeException      what the processor threw, or what its future failed with
     */
    public Outcome request(TestExchange exchange) {
        exchange.enter(step);
        try {
            CompletionStage<Outcome> stage = processor.onRequestAsync(exchange);
            if (stage == null) {
                throw new IllegalStateException(step.name() + " returned null from onRequestAsync");
            }
            Outcome outcome = await(stage);
            if (outcome == null) {
                throw new IllegalStateException(step.name() + " completed onRequestAsync with null");
            }
            return outcome;
        } finally {
            exchange.leave();
        }
    }

    /**
     * Runs the response phase over a whole body: {@code onResponse}, then the attached transformers
     * and observers over it as one chunk.
     *
     * @return the body the client receives
     * @throws RuntimeException what a transformer threw (the observers saw it in {@code onEnd})
     */
    public byte[] respond(TestExchange exchange, int status, Headers headers, byte[] body) {
        TestResponseBody responseBody = TestResponseBody.whole(Objects.requireNonNull(body, "body"), step);
        ChunkPipeline pipeline = runOnResponse(exchange, status, headers, responseBody);
        RuntimeException error = pipeline.run(List.of(responseBody.wholeBytes()));
        if (error != null) {
            throw error;
        }
        return join(pipeline.sent());
    }

    /**
     * Runs the response phase over a streamed body: {@code onResponse}, then every chunk through the
     * attached transformers and observers, then the end of the stream.
     */
    public StreamResult respondStream(TestExchange exchange, int status, Headers headers, List<byte[]> chunks) {
        Objects.requireNonNull(chunks, "chunks");
        ChunkPipeline pipeline = runOnResponse(exchange, status, headers, TestResponseBody.streamed(step));
        RuntimeException error = pipeline.run(chunks);
        return new StreamResult(pipeline.sent(), pipeline.observed(), Optional.ofNullable(error));
    }

    /**
     * Runs {@code onResponseEnd} (the gateway calls it once the whole response has passed the
     * transformers and observers, before the client gets its end) and waits for its stage.
     *
     * @throws IllegalStateException when it returns null
     * @throws RuntimeException      what it threw, or what its stage failed with
     */
    public void responseEnd(TestExchange exchange) {
        exchange.enter(step);
        CompletionStage<Void> stage;
        try {
            stage = processor.onResponseEnd(exchange);
        } finally {
            exchange.leave();
        }
        if (stage == null) {
            throw new IllegalStateException(step.name() + " returned null from onResponseEnd");
        }
        try {
            stage.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            Assertions.fail(step.name() + " did not complete onResponseEnd within " + timeout);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(step.name() + " failed onResponseEnd", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + step.name(), e);
        }
    }

    /**
     * Runs {@code onComplete}.
     *
     * @throws IllegalStateException when it throws, which it must not
     */
    public void complete(TestExchange exchange, Completion completion) {
        Objects.requireNonNull(completion, "completion");
        exchange.enter(step);
        try {
            processor.onComplete(exchange, completion);
        } catch (RuntimeException e) {
            throw new IllegalStateException(step.name() + " threw from onComplete, which must not throw", e);
        } finally {
            exchange.leave();
        }
    }

    public GatewayProcessor processor() {
        return processor;
    }

    public EndpointContext endpoint() {
        return endpoint;
    }

    /** The clock the processor was given; move it to test time decisions. */
    public TestClock clock() {
        return clock;
    }

    public C config() {
        return config;
    }

    public ProcessorFactory<C> factory() {
        return factory;
    }

    /** Closes the processor, as the gateway does when the endpoint is unloaded. */
    @Override
    public void close() {
        processor.close();
    }

    private ChunkPipeline runOnResponse(TestExchange exchange, int status, Headers headers, TestResponseBody body) {
        Objects.requireNonNull(headers, "headers");
        TestResponse response = new TestResponse(status, copy(headers), body);
        exchange.startResponse(response, step);
        exchange.enter(step);
        try {
            processor.onResponse(exchange);
        } finally {
            exchange.leave();
        }
        return body.seal();
    }

    private Outcome await(CompletionStage<Outcome> stage) {
        try {
            return stage.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return Assertions.fail(step.name() + " did not complete onRequestAsync within " + timeout);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(step.name() + " failed onRequestAsync", cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + step.name(), e);
        }
    }

    private static Headers copy(Headers headers) {
        Headers copy = new Headers();
        headers.toMap().forEach((name, values) -> values.forEach(value -> copy.add(name, value)));
        return copy;
    }

    private static byte[] join(List<byte[]> chunks) {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        chunks.forEach(all::writeBytes);
        return all.toByteArray();
    }

    /** Settings of a harness; every one has a default. */
    public static final class Builder<C extends Record> {

        private final ProcessorFactory<C> factory;
        private final C config;
        private String endpointId = "test";
        private String protocol = "raw";
        private String stepId;
        private String pathPrefix = "";
        private TestClock clock = TestClock.atDefaultStart();
        private Duration timeout = Duration.ofSeconds(10);
        private Record gatewaySection;
        private GatewayServices services = GatewayServices.none();
        private Path dataDirectory = Path.of(System.getProperty("java.io.tmpdir"), "gatehouse-testkit").toAbsolutePath();

        private Builder(ProcessorFactory<C> factory, C config) {
            this.factory = Objects.requireNonNull(factory, "factory");
            this.config = Objects.requireNonNull(config, "config");
        }

        public Builder<C> endpointId(String endpointId) {
            this.endpointId = Objects.requireNonNull(endpointId, "endpointId");
            return this;
        }

        /** The endpoint's protocol adapter, e.g. {@code openai}; defaults to {@code raw}. */
        public Builder<C> protocol(String protocol) {
            this.protocol = Objects.requireNonNull(protocol, "protocol");
            return this;
        }

        /** Defaults to {@code <endpointId>.<factory id>}. */
        public Builder<C> stepId(String stepId) {
            this.stepId = Objects.requireNonNull(stepId, "stepId");
            return this;
        }

        public Builder<C> pathPrefix(String pathPrefix) {
            this.pathPrefix = Objects.requireNonNull(pathPrefix, "pathPrefix");
            return this;
        }

        /** Defaults to a {@link TestClock} at {@link TestClock#DEFAULT_START}. */
        public Builder<C> clock(TestClock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** How long {@link ProcessorHarness#request} waits for an asynchronous outcome; 10 s by default. */
        public Builder<C> timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * The factory's section of {@code gateway.yaml}, as the gateway would bind it: passed to
         * {@link ProcessorFactory#configureGateway} before the processor is created.
         */
        public Builder<C> gateway(Record section) {
            this.gatewaySection = Objects.requireNonNull(section, "section");
            return this;
        }

        /** Shared services the processor may look up; none by default. */
        public Builder<C> services(GatewayServices services) {
            this.services = Objects.requireNonNull(services, "services");
            return this;
        }

        /** The gateway's data directory given with the section; a folder under the temp directory by default. */
        public Builder<C> dataDirectory(Path dataDirectory) {
            this.dataDirectory = dataDirectory.toAbsolutePath();
            return this;
        }

        /**
         * Creates the processor.
         *
         * @throws io.gatehouse.spi.ConfigException when the factory refuses the config for this endpoint
         */
        public ProcessorHarness<C> build() {
            return new ProcessorHarness<>(this);
        }
    }
}
