package io.gatehouse.testkit;

import io.gatehouse.engine.ChunkPipeline;
import io.gatehouse.engine.PipelineBody;
import io.gatehouse.engine.Step;
import io.gatehouse.engine.StepCalls;
import io.gatehouse.engine.StepResult;
import io.gatehouse.engine.UpstreamResponse;
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
        this.step = new Step(factory.id(), stepId, b.endpointId, factory.phase(), processor);
    }

    /** A harness with every default: endpoint {@code test}, protocol {@code raw}, a {@link TestClock}. */
    public static <C extends Record> ProcessorHarness<C> of(ProcessorFactory<C> factory, C config) {
        return builder(factory, config).build();
    }

    public static <C extends Record> Builder<C> builder(ProcessorFactory<C> factory, C config) {
        return new Builder<>(factory, config);
    }

    /**
     * Runs the request phase ({@code onRequestAsync}) through the pipeline engine and waits for its
     * outcome.
     *
     * @throws IllegalStateException when the processor returns null
     * @throws RuntimeException      what the processor threw, or what its future failed with
     */
    public Outcome request(TestExchange exchange) {
        StepResult result = await(StepCalls.request(exchange.engine(), step), "onRequestAsync");
        if (result instanceof StepResult.Denied denied) {
            return denied.denial();
        }
        if (result instanceof StepResult.Responded responded) {
            return responded.answer();
        }
        if (result instanceof StepResult.Broken broken) {
            throw rethrow(broken);
        }
        return Outcome.proceed();
    }

    /**
     * Runs the response phase over a whole body: {@code onResponse}, then the attached transformers
     * and observers over it as one chunk.
     *
     * @return the body the client receives
     * @throws RuntimeException what a transformer threw (the observers saw it in {@code onEnd})
     */
    public byte[] respond(TestExchange exchange, int status, Headers headers, byte[] body) {
        PipelineBody responseBody = PipelineBody.whole(Objects.requireNonNull(body, "body").clone());
        ChunkPipeline pipeline = runOnResponse(exchange, status, headers, responseBody);
        ChunkPipeline.Run run = pipeline.runAll(List.of(responseBody.received()));
        checkObservers(pipeline);
        if (run.error() != null) {
            throw run.error();
        }
        return join(run.sent());
    }

    /**
     * Runs the response phase over a streamed body: {@code onResponse}, then every chunk through the
     * attached transformers and observers, then the end of the stream.
     */
    public StreamResult respondStream(TestExchange exchange, int status, Headers headers, List<byte[]> chunks) {
        Objects.requireNonNull(chunks, "chunks");
        ChunkPipeline pipeline = runOnResponse(exchange, status, headers, PipelineBody.streamed(null));
        ChunkPipeline.Run run = pipeline.runAll(chunks);
        checkObservers(pipeline);
        if (run.error() instanceof ChunkPipeline.NullChunkException e) {
            throw e; // a defect of the processor, not a cut stream
        }
        return new StreamResult(run.sent(), pipeline.hasObservers() ? run.sent() : List.of(),
                Optional.ofNullable(run.error()));
    }

    /**
     * Runs {@code onResponseEnd} (the gateway calls it once the whole response has passed the
     * transformers and observers, before the client gets its end) and waits for its stage.
     *
     * @throws IllegalStateException when it returns null
     * @throws RuntimeException      what it threw, or what its stage failed with
     */
    public void responseEnd(TestExchange exchange) {
        try {
            StepCalls.responseEnd(exchange.engine(), step).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            Assertions.fail(step.describe() + " did not complete onResponseEnd within " + timeout);
        } catch (ExecutionException e) {
            StepCalls.HookFailedException failed = (StepCalls.HookFailedException) e.getCause();
            if (failed.getCause() == null) {
                throw new IllegalStateException(failed.getMessage());
            }
            if (failed.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(failed.getMessage(), failed.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + step.describe(), e);
        }
    }

    /**
     * Runs {@code onComplete}.
     *
     * @throws IllegalStateException when it throws, which it must not
     */
    public void complete(TestExchange exchange, Completion completion) {
        Objects.requireNonNull(completion, "completion");
        StepResult.Broken broken = StepCalls.complete(exchange.engine(), step, completion);
        if (broken != null) {
            throw new IllegalStateException(broken.message(), broken.cause());
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

    private ChunkPipeline runOnResponse(TestExchange exchange, int status, Headers headers, PipelineBody body) {
        Objects.requireNonNull(headers, "headers");
        if (exchange.engine().upstreamResponse() != null) {
            throw new IllegalStateException("this exchange already has a response: build a new TestExchange for "
                    + step.describe());
        }
        UpstreamResponse response = new UpstreamResponse(status, copy(headers), body);
        exchange.engine().setResponse(response);
        ChunkPipeline pipeline = body.pipeline();
        StepResult.Broken broken = StepCalls.respond(exchange.engine(), step, pipeline);
        pipeline.seal();
        if (broken != null) {
            throw rethrow(broken);
        }
        return pipeline;
    }

    private static void checkObservers(ChunkPipeline pipeline) {
        List<String> violations = pipeline.violations();
        if (!violations.isEmpty()) {
            throw new IllegalStateException(violations.get(0));
        }
    }

    private static RuntimeException rethrow(StepResult.Broken broken) {
        if (broken.cause() instanceof RuntimeException r) {
            return r;
        }
        if (broken.cause() instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(broken.message(), broken.cause());
    }

    private <T> T await(CompletionStage<T> stage, String method) {
        try {
            return stage.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return Assertions.fail(step.describe() + " did not complete " + method + " within " + timeout);
        } catch (ExecutionException e) {
            throw new IllegalStateException(step.describe() + " failed " + method, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + step.describe(), e);
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
