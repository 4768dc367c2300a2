package io.gatehouse.engine;

import io.gatehouse.spi.ChunkObserver;
import io.gatehouse.spi.ChunkTransformer;
import io.gatehouse.spi.ResponseBody;
import java.util.Optional;
import java.util.concurrent.Flow;

/** A response body, whole or streamed, with the pipeline of transformers and observers attached to it. */
public final class PipelineBody implements ResponseBody {

    private final byte[] whole;
    private final Flow.Publisher<byte[]> stream;
    private final ChunkPipeline pipeline = new ChunkPipeline();

    private PipelineBody(byte[] whole, Flow.Publisher<byte[]> stream) {
        this.whole = whole;
        this.stream = stream;
    }

    public static PipelineBody whole(byte[] bytes) {
        return new PipelineBody(bytes, null);
    }

    /** A streamed body: the chunks of {@code source} as they come. The testkit streams with a null source. */
    public static PipelineBody streamed(Flow.Publisher<byte[]> source) {
        return new PipelineBody(null, source == null ? NO_SOURCE : source);
    }

    private static final Flow.Publisher<byte[]> NO_SOURCE = subscriber -> {
        throw new IllegalStateException("this streamed body has no source: its chunks are given to runAll");
    };

    @Override
    public boolean streamed() {
        return stream != null;
    }

    @Override
    public Optional<byte[]> whole() {
        return whole == null || pipeline.hasTransformers() ? Optional.empty() : Optional.of(whole.clone());
    }

    @Override
    public void transform(ChunkTransformer transformer) {
        pipeline.addTransformer(transformer);
    }

    @Override
    public void observe(ChunkObserver observer) {
        pipeline.addObserver(observer);
    }

    public ChunkPipeline pipeline() {
        return pipeline;
    }

    /** The upstream chunks; only for a streamed body. */
    public Flow.Publisher<byte[]> source() {
        if (stream == null) {
            throw new IllegalStateException("not a streamed body");
        }
        return stream;
    }

    /** The body as received, before any transformer; only for a whole body. */
    public byte[] received() {
        if (whole == null) {
            throw new IllegalStateException("not a whole body");
        }
        return whole;
    }

    /** Runs a whole body through the transformers (one chunk, then end) and returns what the client gets. */
    public byte[] transformedWhole() {
        if (!pipeline.hasTransformers()) {
            return received();
        }
        return ChunkPipeline.concat(pipeline.apply(received()), pipeline.finish());
    }
}
