package io.gatehouse.processors.policy;

import io.gatehouse.spi.ByteSize;
import io.gatehouse.spi.Identity;
import io.gatehouse.spi.Operation;
import io.gatehouse.spi.OperationKind;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;

/** Builders for policies, callers and requests in tests. */
final class Policies {

    static final Instant NOW = Instant.parse("2026-03-02T10:15:00Z");

    private Policies() {
    }

    static PolicyFile policy(String name, AppliesTo appliesTo, RuleConfig... rules) {
        return new PolicyFile(name, null, appliesTo, List.of(rules));
    }

    static AppliesTo groups(String... groups) {
        return new AppliesTo(Set.of(groups), null, null, null);
    }

    static Rule rule(String name, Effect effect) {
        return new Rule(name, effect);
    }

    static Identity caller(String user, String... groups) {
        return new Identity(user + "-id", user, "https://idp.test", null, Set.of(groups), Set.of(), null, List.of(),
                NOW.minusSeconds(60), null, NOW.plusSeconds(3600), null, Map.of("email", user + "@test"));
    }

    static Identity client(String clientId, String... roles) {
        return new Identity("svc-" + clientId, "svc-" + clientId, "https://idp.test", clientId, Set.of(),
                Set.of(roles), null, List.of(), NOW, null, NOW.plusSeconds(3600), null, Map.of());
    }

    static RequestFacts request(String endpoint, String method, String path, OperationKind kind, String model,
                                int batch, Integer maxTokens, boolean stream) {
        Operation op = new Operation("openai", kind, model, stream, batch,
                maxTokens == null ? OptionalInt.empty() : OptionalInt.of(maxTokens));
        return new RequestFacts(endpoint, method, path, "", Map.of("content-type", "application/json"), 200,
                "127.0.0.1", op, NOW);
    }

    static RequestFacts chat(String model, int batch, Integer maxTokens) {
        return request("openai", "POST", "/v1/chat/completions", OperationKind.CHAT, model, batch, maxTokens, false);
    }

    /** A rule under construction; every matcher left out matches anything. */
    static final class Rule {
        private final String name;
        private final Effect effect;
        private List<String> endpoints;
        private List<String> models;
        private Set<OperationKind> operations;
        private Set<String> methods;
        private List<String> paths;
        private String when;
        private RuleLimits limits;
        private final List<RateLimitConfig> rates = new ArrayList<>();
        private List<String> hide = List.of();
        private List<String> outputs;
        private Set<String> approvers;
        private String description;

        Rule(String name, Effect effect) {
            this.name = name;
            this.effect = effect;
        }

        Rule endpoints(String... ids) {
            endpoints = List.of(ids);
            return this;
        }

        Rule models(String... globs) {
            models = List.of(globs);
            return this;
        }

        Rule operations(OperationKind... kinds) {
            operations = Set.copyOf(Arrays.asList(kinds));
            return this;
        }

        Rule methods(String... m) {
            methods = Set.of(m);
            return this;
        }

        Rule paths(String... p) {
            paths = List.of(p);
            return this;
        }

        Rule when(String cel) {
            when = cel;
            return this;
        }

        Rule limits(Integer maxBatch, Integer maxTokens) {
            limits = new RuleLimits(null, maxBatch, maxTokens, null, null);
            return this;
        }

        Rule limits(RuleLimits l) {
            limits = l;
            return this;
        }

        Rule bodyAtMost(long bytes) {
            limits = new RuleLimits(ByteSize.ofBytes(bytes), null, null, null, null);
            return this;
        }

        Rule requestsPerMinute(long n) {
            rates.add(new RateLimitConfig(RateLimitConfig.Per.IDENTITY, n, null, Duration.ofMinutes(1)));
            return this;
        }

        Rule rate(RateLimitConfig r) {
            rates.add(r);
            return this;
        }

        Rule hide(String... pointers) {
            hide = List.of(pointers);
            return this;
        }

        Rule outputs(String... names) {
            outputs = List.of(names);
            return this;
        }

        Rule approvers(String... groups) {
            approvers = Set.of(groups);
            return this;
        }

        Rule description(String text) {
            description = text;
            return this;
        }

        RuleConfig build() {
            return new RuleConfig(name, description, effect, endpoints, models, operations, methods, paths, when,
                    limits, rates, hide, outputs, approvers, null);
        }
    }

    static PolicyFile policy(String name, AppliesTo appliesTo, Rule... rules) {
        return new PolicyFile(name, null, appliesTo, Arrays.stream(rules).map(Rule::build).toList());
    }
}
