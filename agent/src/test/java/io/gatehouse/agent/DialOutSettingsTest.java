package io.gatehouse.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.Secret;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Settings of dial-out mode, rotating credentials and upstream tokens: defaults and refusals. */
class DialOutSettingsTest {

    private static final ServiceConfig SERVICE = ServiceConfig.of(URI.create("http://127.0.0.1:8000"));

    @Test
    void aDiallingAgentTakesItsDefaultsAndHasNoListeningPortUnlessAskedFor() {
        DialOutConfig out = new DialOutConfig("gatehouse.example:7444", "local", null, null, null, null);
        AgentSettings settings = new AgentSettings(null, null, null, Map.of("m", SERVICE), null, out, null);

        assertThat(out.idleSlots()).isEqualTo(8);
        assertThat(out.reconnectMin()).isEqualTo(Duration.ofMillis(250));
        assertThat(out.reconnectMax()).isEqualTo(Duration.ofSeconds(30));
        assertThat(out.host()).isEqualTo("gatehouse.example");
        assertThat(out.port()).isEqualTo(7444);
        assertThat(settings.listens()).isFalse();
        assertThat(new AgentSettings(ListenConfig.defaults(), null, null, Map.of("m", SERVICE), null, out, null).listens())
                .isTrue();
    }

    @Test
    void dialOutSettingsOutsideTheirBoundsAreRefusedNamingTheField() {
        assertThatThrownBy(() -> new DialOutConfig("no-port", "local", null, null, null, null))
                .isInstanceOf(ConfigException.class).extracting(e -> ((ConfigException) e).field()).isEqualTo("address");
        assertThatThrownBy(() -> new DialOutConfig("g:7444", null, null, null, null, null))
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("agent");
        assertThatThrownBy(() -> new DialOutConfig("g:7444", "local", null, 0, null, null))
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("idleSlots");
        assertThatThrownBy(() -> new DialOutConfig("g:7444", "local", null, 2000, null, null))
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("idleSlots");
        assertThatThrownBy(() -> new DialOutConfig("g:7444", "local", null, null, Duration.ofSeconds(5),
                Duration.ofSeconds(1))).extracting(e -> ((ConfigException) e).field()).isEqualTo("reconnectMax");
    }

    @Test
    void aCredentialComesFromASecretOrACommandNotBoth() {
        Secret secret = Secret.of("env:K", "sk-1");
        CredentialConfig command = new CredentialConfig(null, null, null, List.of("vault", "kv", "get"), null);

        assertThat(command.refresh()).isEqualTo(Duration.ofMinutes(5));
        assertThat(command.headerValue("sk-now")).isEqualTo("Bearer sk-now");
        assertThatThrownBy(() -> new CredentialConfig(null, null, secret, List.of("vault"), null))
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("command");
        assertThatThrownBy(() -> new CredentialConfig(null, null, null, null, null))
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("secret");
        assertThatThrownBy(() -> new CredentialConfig(null, null, null, List.of("x"), Duration.ofMillis(10)))
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("refresh");
        assertThatThrownBy(() -> new CredentialConfig(null, null, secret, null, Duration.ofMinutes(1)))
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("refresh");
    }

    @Test
    void anUpstreamTokenLivesAtMostAMinuteAndNeedsAPublishedJwks() {
        UpstreamTokenConfig token = new UpstreamTokenConfig(null, null, null, null, null);
        assertThat(token.ttl()).isEqualTo(Duration.ofSeconds(60));
        assertThat(token.header()).isEqualTo("Authorization");
        assertThatThrownBy(() -> new UpstreamTokenConfig(null, null, null, null, Duration.ofSeconds(61)))
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("ttl");
        ServiceConfig minting = new ServiceConfig(URI.create("http://127.0.0.1:8000"), null, null, null, null, token);
        assertThatThrownBy(() -> new AgentSettings(null, null, null, Map.of("m", minting), null, null, null))
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("jwks");
        assertThatThrownBy(() -> new ServiceConfig(URI.create("http://127.0.0.1:8000"),
                new CredentialConfig(null, null, Secret.of("env:K", "sk-1")), null, null, null, token))
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("upstreamToken");
    }

    @Test
    void aRotatedValueIsTakenOnlyWhenItCanGoInAHeader() {
        CredentialSource source = CredentialSource.fixed("m", new CredentialConfig(null, null, Secret.of("env:K", "old")));

        source.offer("bad\nvalue");
        assertThat(source.current()).isEqualTo("old");
        source.offer("new");
        assertThat(source.current()).isEqualTo("new");
        assertThat(source.version()).isEqualTo(2);
        source.offer("new");
        assertThat(source.version()).isEqualTo(2);
    }
}
