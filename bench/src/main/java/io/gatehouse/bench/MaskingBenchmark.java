package io.gatehouse.bench;

import io.gatehouse.processors.masking.Masker;
import io.gatehouse.processors.masking.MaskingConfig;
import io.gatehouse.processors.masking.MaskingProcessorFactory;
import io.gatehouse.processors.masking.TextStream;
import io.gatehouse.spi.Headers;
import io.gatehouse.testkit.ProcessorHarness;
import io.gatehouse.testkit.StreamResult;
import io.gatehouse.testkit.TestExchange;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The masking engine with every built-in detector (the default config), on one thread:
 * <ul>
 *   <li>{@link #maskText}: 64 KiB of English-like prose of which about 1 % of the bytes are PII (emails,
 *       phone numbers, card numbers, IBANs), with ordinary numbers (years, amounts) in between. MB/s per
 *       core = 65,536 bytes / the time per operation.</li>
 *   <li>{@link #maskJsonAnswer}: the same prose as the content of an OpenAI chat completion.</li>
 *   <li>{@link #textStreamWordByWord}: the same prose pushed one word at a time through a
 *       {@link TextStream}, as a stream's hold-back sees it.</li>
 *   <li>{@link #sseChunk}: the {@code masking} step on an OpenAI SSE answer of {@value #EVENTS} word events
 *       through the testkit harness; the time is per event, i.e. the latency masking adds to each chunk.
 *       {@link #sseChunkUnmasked} runs the same stream through a step that masks nothing
 *       ({@code exemptGroups} matching the caller) for the harness's own cost.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class MaskingBenchmark {

    static final int TEXT_BYTES = 64 * 1024;
    static final int EVENTS = 256;

    private static final String[] WORDS = ("the a of to and in is that for it on with as was at by this be from or "
            + "have an they which you were her all she there would their we him been has when who will more no if out "
            + "so said what up its about into than them can only other new some could time these two may then do first "
            + "any my now such like our over man me even most made after also did many before must through back years "
            + "where much your way well down should because each just those people how too little state good very make "
            + "world still own see men work long get here between both life being under never day same another know "
            + "while last might us great old year off come since against go came right used take three").split(" ");
    private static final String[] PII = {"bob.smith@example.com", "call +1 415-555-2671", "4111 1111 1111 1111",
            "DE89 3704 0044 0532 0130 00", "amy@mail.example.co.uk", "phone (201) 555-0123", "378282246310005",
            "ssn 460-89-9847", "10.12.7.33"};

    private Masker masker;
    private String prose;
    private byte[] answer;
    private List<String> words;
    private ProcessorHarness<MaskingConfig> step;
    private ProcessorHarness<MaskingConfig> exempt;
    private List<byte[]> events;

    @Setup
    public void setUp() {
        masker = Masker.of(MaskingConfig.defaults());
        prose = prose(new Random(42));
        answer = ("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"demo\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":" + quote(prose) + "},\"finish_reason\":\"stop\"}]}")
                .getBytes(StandardCharsets.UTF_8);
        words = new ArrayList<>();
        for (String w : prose.split("(?<= )")) {
            words.add(w);
        }
        step = ProcessorHarness.builder(new MaskingProcessorFactory(), MaskingConfig.defaults()).protocol("openai")
                .build();
        exempt = ProcessorHarness.builder(new MaskingProcessorFactory(), new MaskingConfig(null, null, null, null, null,
                null, null, null, null, null, null, java.util.Set.of("bench"))).protocol("openai").build();
        events = new ArrayList<>();
        for (int i = 0; i < EVENTS; i++) {
            events.add(("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                    + "\"model\":\"demo\",\"choices\":[{\"index\":0,\"delta\":{\"content\":" + quote(words.get(i))
                    + "},\"logprobs\":null,\"finish_reason\":null}]}\n\n").getBytes(StandardCharsets.UTF_8));
        }
        if (masker.maskText(prose).total() == 0) {
            throw new IllegalStateException("the benchmark prose should contain PII");
        }
    }

    @TearDown
    public void tearDown() {
        step.close();
        exempt.close();
    }

    /** Prose of {@link #TEXT_BYTES} bytes, about 1 % of them PII. */
    static String prose(Random random) {
        StringBuilder text = new StringBuilder(TEXT_BYTES + 64);
        int pii = 0;
        while (text.length() < TEXT_BYTES) {
            if (pii * 100L < text.length() && random.nextInt(40) == 0) {
                String value = PII[random.nextInt(PII.length)];
                text.append(value).append(' ');
                pii += value.length();
            } else if (random.nextInt(60) == 0) {
                text.append(random.nextBoolean() ? "in " + (1900 + random.nextInt(125)) : "$" + random.nextInt(5000)
                        + ",00").append(random.nextInt(8) == 0 ? ". " : " ");
            } else {
                text.append(WORDS[random.nextInt(WORDS.length)]).append(random.nextInt(12) == 0 ? ". " : " ");
            }
        }
        return text.substring(0, TEXT_BYTES);
    }

    private static String quote(String s) {
        StringBuilder q = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                q.append('\\');
            }
            q.append(c);
        }
        return q.append('"').toString();
    }

    @Benchmark
    public Masker.MaskedText maskText() {
        return masker.maskText(prose);
    }

    @Benchmark
    public Masker.MaskedJson maskJsonAnswer() {
        return masker.maskJson(answer);
    }

    @Benchmark
    public int textStreamWordByWord() {
        TextStream stream = masker.textStream();
        int out = 0;
        for (String w : words) {
            out += stream.push(w).length();
        }
        return out + stream.finish().length();
    }

    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public StreamResult sseChunk() {
        return step.respondStream(TestExchange.post("/v1/chat/completions").build(), 200,
                new Headers().set("Content-Type", "text/event-stream"), events);
    }

    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public StreamResult sseChunkUnmasked() {
        return exempt.respondStream(TestExchange.post("/v1/chat/completions").identity(BenchIdentity.BENCH).build(),
                200, new Headers().set("Content-Type", "text/event-stream"), events);
    }

    /** A caller in group {@code bench}. */
    static final class BenchIdentity {
        static final io.gatehouse.spi.Identity BENCH = new io.gatehouse.spi.Identity("bench", "bench", "https://bench",
                null, java.util.Set.of("bench"), java.util.Set.of(), null, List.of(), null, null,
                java.time.Instant.parse("2100-01-01T00:00:00Z"), null, java.util.Map.of());
    }
}
