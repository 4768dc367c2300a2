package io.gatehouse.engine;

import static io.gatehouse.engine.Exchanges.post;
import static io.gatehouse.engine.Exchanges.step;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.Completion;
import io.gatehouse.spi.GatewayExchange;
import io.gatehouse.spi.GatewayProcessor;
import io.gatehouse.spi.Headers;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Outcome;
import io.gatehouse.spi.Phase;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StepCallsTest {

    private static final Identity ALICE = new Identity("sub-1", "alice", "https://idp", "cli", Set.of("analysts"),
            Set.of(), null, List.of(), null, null, Instant.now().plusSeconds(60), null, Map.of());

    @Test
    void aStepThatThrowsIsBrokenAndNamedWithWhatItThrew() {
        Step broken = step("bad", Phase.AUTHORIZE, new GatewayProcessor() {
            @Override
            public Outcome onRequest(GatewayExchange exchange) {
                throw new IllegalArgumentException("boom");
            }
        });

        StepResult result = StepCalls.request(post("{}"), broken).toCompletableFuture().join();

        assertThat(result).isInstanceOfSatisfying(StepResult.Broken.class, b -> {
            assertThat(b.message()).isEqualTo("processor 'bad' on endpoint 'chat' threw java.lang.IllegalArgumentException: boom");
            assertThat(b.cause()).hasMessage("boom");
        });
    }

    @Test
    void aNullStageAndANullOutcomeAreBothBroken() {
        Step nullStage = step("null-stage", Phase.AUTHORIZE, new GatewayProcessor() {
            @Override
            public CompletionStage<Outcome> onRequestAsync(GatewayExchange exchange) {
                return null;
            }
        });
        Step nullOutcome = step("null-outcome", Phase.AUTHORIZE, new GatewayProcessor() {
            @Override
            public CompletionStage<Outcome> onRequestAsync(GatewayExchange exchange) {
                return CompletableFuture.completedFuture(null);
            }
        });

        assertThat(StepCalls.request(post("{}"), nullStage).toCompletableFuture().join())
                .isEqualTo(new StepResult.Broken("processor 'null-stage' on endpoint 'chat' returned null from onRequestAsync", null));
        assertThat(StepCalls.request(post("{}"), nullOutcome).toCompletableFuture().join())
                .isEqualTo(new StepResult.Broken("processor 'null-outcome' on endpoint 'chat' completed onRequestAsync with null", null));
    }

    @Test
    void aStepThatWaitsResumesTheExchangeOnItsHome() throws Exception {
        ExecutorService home = Executors.newSingleThreadExecutor(r -> new Thread(r, "home-loop"));
        ExecutorService store = Executors.newSingleThreadExecutor(r -> new Thread(r, "store-writer"));
        try {
            java.util.concurrent.CountDownLatch durable = new java.util.concurrent.CountDownLatch(1);
            Step waiting = step("recording", Phase.OBSERVE, new GatewayProcessor() {
                @Override
                public CompletionStage<Outcome> onRequestAsync(GatewayExchange exchange) {
                    return CompletableFuture.supplyAsync(() -> {
                        try {
                            durable.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return Outcome.proceed();
                    }, store);
                }
            });
            PipelineExchange exchange = post("{}", home);

            CompletableFuture<StepResult> pending = StepCalls.request(exchange, waiting).toCompletableFuture();
            CompletableFuture<String> resumed = pending.thenApply(r -> Thread.currentThread().getName());
            durable.countDown();
            String resumedOn = resumed.get(5, TimeUnit.SECONDS);

            assertThat(resumedOn).isEqualTo("home-loop");
        } finally {
            home.shutdownNow();
            store.shutdownNow();
        }
    }

    @Test
    void onlyAnAuthenticateStepMaySetTheIdentityAndTheOffenderIsNamed() {
        GatewayProcessor setsIdentity = new GatewayProcessor() {
            @Override
            public Outcome onRequest(GatewayExchange exchange) {
                exchange.setIdentity(ALICE);
                return Outcome.proceed();
            }
        };
        PipelineExchange exchange = post("{}");

        StepResult asPolicy = StepCalls.request(exchange, step("policy", Phase.AUTHORIZE, setsIdentity))
                .toCompletableFuture().join();
        StepResult asAuth = StepCalls.request(exchange, step("auth", Phase.AUTHENTICATE, setsIdentity))
                .toCompletableFuture().join();

        assertThat(((StepResult.Broken) asPolicy).cause())
                .hasMessage("processor 'policy' (phase AUTHORIZE) may not set the identity: only AUTHENTICATE steps may");
        assertThat(asAuth).isEqualTo(StepResult.PROCEED);
        assertThat(exchange.identity()).contains(ALICE);
    }

    @Test
    void completionReachesEveryStepThatSawTheRequestInReverseOrderExactlyOnce() {
        List<String> trail = new ArrayList<>();
        PipelineExchange exchange = post("{}");
        Step first = step("first", Phase.OBSERVE, recorder("first", trail, Outcome.proceed()));
        Step deny = step("deny", Phase.AUTHORIZE, recorder("deny", trail, Outcome.deny(403, "No", "no", new io.gatehouse.spi.DecidingRule("p", "r", "no"))));
        Step never = step("never", Phase.TRANSFORM, recorder("never", trail, Outcome.proceed()));

        StepCalls.request(exchange, first);
        StepResult denied = StepCalls.request(exchange, deny).toCompletableFuture().join();
        exchange.complete(Completion.Kind.DENIED, 403, ((StepResult.Denied) denied).denial(), null);
        exchange.complete(Completion.Kind.FAILED, 500, null, "again");

        assertThat(trail).containsExactly("first:request", "deny:request", "deny:DENIED", "first:DENIED");
        assertThat(exchange.enteredSteps()).extracting(Step::stepId).containsExactly("first", "deny");
        assertThat(never.stepId()).isEqualTo("never");
    }

    @Test
    void responseEndHooksRunInReverseAndAFailureNamesTheStep() {
        List<String> trail = new ArrayList<>();
        PipelineExchange exchange = post("{}");
        GatewayProcessor ok = new GatewayProcessor() {
            @Override
            public CompletionStage<Void> onResponseEnd(GatewayExchange ex) {
                trail.add("ok");
                return CompletableFuture.completedFuture(null);
            }
        };
        GatewayProcessor failing = new GatewayProcessor() {
            @Override
            public CompletionStage<Void> onResponseEnd(GatewayExchange ex) {
                trail.add("failing");
                return CompletableFuture.failedFuture(new IllegalStateException("store down"));
            }
        };
        StepCalls.request(exchange, step("recording", Phase.OBSERVE, failing));
        StepCalls.request(exchange, step("masking", Phase.TRANSFORM, ok));

        assertThatThrownBy(() -> StepCalls.responseEnd(exchange).join())
                .hasCauseInstanceOf(StepCalls.HookFailedException.class)
                .cause().hasMessage("processor 'recording' on endpoint 'chat' failed in onResponseEnd: store down");
        assertThat(trail).containsExactly("ok", "failing");
    }

    @Test
    void aResponsePhaseThatThrowsIsBrokenAndTheBodyIsSealedAnyway() {
        PipelineExchange exchange = post("{}");
        StepCalls.request(exchange, step("bad", Phase.TRANSFORM, new GatewayProcessor() {
            @Override
            public void onResponse(GatewayExchange ex) {
                throw new IllegalStateException("no");
            }
        }));
        UpstreamResponse response = new UpstreamResponse(200, new Headers(), PipelineBody.whole(new byte[0]));

        StepResult.Broken broken = StepCalls.respond(exchange, response);

        assertThat(broken.message()).isEqualTo("processor 'bad' on endpoint 'chat' threw in onResponse: "
                + "java.lang.IllegalStateException: no");
        assertThatThrownBy(() -> response.body().observe(new io.gatehouse.spi.ChunkObserver() {
            public void onChunk(byte[] chunk) {
            }

            public void onEnd(Throwable error) {
            }
        })).hasMessageContaining("after onResponse returned");
    }

    private static GatewayProcessor recorder(String name, List<String> trail, Outcome outcome) {
        return new GatewayProcessor() {
            @Override
            public Outcome onRequest(GatewayExchange exchange) {
                trail.add(name + ":request");
                return outcome;
            }

            @Override
            public void onComplete(GatewayExchange exchange, Completion completion) {
                trail.add(name + ":" + completion.kind());
            }
        };
    }
}
