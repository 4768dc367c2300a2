package io.gatehouse.processors.policy;

import static io.gatehouse.processors.policy.Policies.caller;
import static io.gatehouse.processors.policy.Policies.groups;
import static io.gatehouse.processors.policy.Policies.rule;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BucketKeyTest {

    private static final RateLimitConfig PER_GROUP =
            new RateLimitConfig(RateLimitConfig.Per.GROUP, 10L, null, Duration.ofMinutes(1));
    private static final RateLimitConfig PER_IDENTITY =
            new RateLimitConfig(RateLimitConfig.Per.IDENTITY, 5L, null, Duration.ofMinutes(1));

    private static CompiledRule chatRule() {
        return new CompiledRule(0, "research", groups("zeta", "alpha", "mid"),
                rule("chat", Effect.ALLOW).rate(PER_IDENTITY).rate(PER_GROUP).build());
    }

    @Test
    void aGroupBucketIsNamedAfterThePolicysFirstGroupInNameOrderThatTheCallerIsIn() {
        CompiledRule rule = chatRule();

        assertThat(PolicyProcessor.bucketKey(rule, 1, PER_GROUP, caller("ann", "zeta", "mid")))
                .isEqualTo("research/chat#1/g:mid");
        assertThat(PolicyProcessor.bucketKey(rule, 1, PER_GROUP, caller("bob", "zeta", "alpha", "mid")))
                .isEqualTo("research/chat#1/g:alpha");
        assertThat(PolicyProcessor.bucketKey(rule, 1, PER_GROUP, caller("eve", "other")))
                .isEqualTo("research/chat#1/p:research");
    }

    @Test
    void anIdentityBucketIsNamedAfterTheIssuerAndSubjectUnderItsRuleAndIndex() {
        assertThat(PolicyProcessor.bucketKey(chatRule(), 0, PER_IDENTITY, caller("ann", "zeta")))
                .isEqualTo("research/chat#0/i:https://idp.test|ann-id");
        assertThat(PolicyProcessor.bucketKey(chatRule(), 0, PER_IDENTITY, null))
                .isEqualTo("research/chat#0/anonymous");
    }

    @Test
    void aRuleCountsTokensWhenAnyOfItsLimitsDoes() {
        RateLimitConfig tokens = new RateLimitConfig(RateLimitConfig.Per.GROUP, null, 1000L, Duration.ofHours(1));

        assertThat(chatRule().countsTokens).isFalse();
        assertThat(new CompiledRule(0, "research", groups("alpha"),
                rule("chat", Effect.ALLOW).rate(PER_IDENTITY).rate(tokens).build()).countsTokens).isTrue();
    }
}
