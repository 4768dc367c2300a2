package io.gatehouse.engine;

import static io.gatehouse.engine.Exchanges.step;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.spi.ChunkObserver;
import io.gatehouse.spi.ChunkTransformer;
import io.gatehouse.spi.Phase;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChunkPipelineTest {

    /** Holds every byte back until the end, then upper-cases them all: a value split across chunks is whole. */
    private static final class HoldAll implements ChunkTransformer {
        private final StringBuilder held = new StringBuilder();

        @Override
        public byte[] onChunk(byte[] chunk) {
            held.append(new String(chunk, StandardCharsets.UTF_8));
            return EMPTY;
        }

        @Override
        public byte[] onEnd() {
            return held.toString().toUpperCase().getBytes(StandardCharsets.UTF_8);
        }
    }

    @Test
    void whatATransformerFlushesAtTheEndPassesTheTransformersAfterIt() {
        ChunkPipeline pipeline = new ChunkPipeline();
        pipeline.openFor(step("hold", Phase.TRANSFORM));
        pipeline.addTransformer(new HoldAll());
        pipeline.addTransformer(chunk -> new String(chunk, StandardCharsets.UTF_8).replace("SECRET", "[x]")
                .getBytes(StandardCharsets.UTF_8));
        pipeline.seal();

        ChunkPipeline.Run run = pipeline.runAll(List.of(bytes("my sec"), bytes("ret")));

        assertThat(run.error()).isNull();
        assertThat(run.sent()).extracting(b -> new String(b, StandardCharsets.UTF_8)).containsExactly("MY [x]");
    }

    @Test
    void aTransformerReturningNullCutsTheBodyNamingItsStep() {
        ChunkPipeline pipeline = new ChunkPipeline();
        pipeline.openFor(step("lazy", Phase.TRANSFORM));
        pipeline.addTransformer(chunk -> null);
        pipeline.seal();

        ChunkPipeline.Run run = pipeline.runAll(List.of(bytes("x")));

        assertThat(run.error()).hasMessage("a transformer of processor 'lazy' on endpoint 'chat' returned null from "
                + "onChunk: return ChunkTransformer.EMPTY to hold bytes back");
        assertThat(run.sent()).isEmpty();
    }

    @Test
    void anObserverThatThrowsIsNotedAndTheOthersStillSeeEveryChunk() {
        ChunkPipeline pipeline = new ChunkPipeline();
        StringBuilder seen = new StringBuilder();
        pipeline.openFor(step("recording", Phase.OBSERVE));
        pipeline.addObserver(new ChunkObserver() {
            public void onChunk(byte[] chunk) {
                throw new IllegalStateException("oops");
            }

            public void onEnd(Throwable error) {
            }
        });
        pipeline.addObserver(new ChunkObserver() {
            public void onChunk(byte[] chunk) {
                seen.append(new String(chunk, StandardCharsets.UTF_8));
            }

            public void onEnd(Throwable error) {
                seen.append(error == null ? "|end" : "|error");
            }
        });
        pipeline.seal();

        pipeline.runAll(List.of(bytes("a"), bytes("b")));

        assertThat(seen).hasToString("ab|end");
        assertThat(pipeline.violations()).hasSize(2).allSatisfy(v -> assertThat(v)
                .startsWith("an observer of processor 'recording' on endpoint 'chat' threw from onChunk"));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
