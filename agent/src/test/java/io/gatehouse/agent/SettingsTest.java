package io.gatehouse.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.spi.ConfigException;
import io.gatehouse.spi.Secret;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {

    private static final Secret SECRET = Secret.of("env:MODEL_KEY", "sk-settings-123");
    private static final ServiceConfig SERVICE = ServiceConfig.of(URI.create("http://127.0.0.1:8000"));

    @Test
    void omittedValuesTakeTheirDefaults() {
        AgentSettings settings = new AgentSettings(null, null, null, Map.of("vllm", SERVICE));

        assertThat(settings.listen()).isEqualTo(new ListenConfig("127.0.0.1", 7443));
        assertThat(settings.dataDirectory()).isEqualTo(Path.of("data"));
        assertThat(settings.tls()).isNull();
        assertThat(SERVICE.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(SERVICE.responseTimeout()).isEqualTo(Duration.ofSeconds(300));
        assertThat(SERVICE.credential()).isNull();
        CredentialConfig credential = new CredentialConfig(null, null, SECRET);
        assertThat(credential.header()).isEqualTo("Authorization");
        assertThat(credential.scheme()).isEqualTo("Bearer");
        assertThat(credential.headerValue()).isEqualTo("Bearer sk-settings-123");
        assertThat(new CredentialConfig("X-Api-Key", "", SECRET).headerValue()).isEqualTo("sk-settings-123");
    }

    @Test
    void servicesKeepTheirConfiguredOrder() {
        Map<String, ServiceConfig> services = new LinkedHashMap<>();
        services.put("zeta", SERVICE);
        services.put("alpha", SERVICE);

        assertThat(new AgentSettings(null, null, null, services).services().keySet()).containsExactly("zeta", "alpha");
    }

    @Test
    void toStringNeverShowsTheSecret() {
        ServiceConfig service = new ServiceConfig(URI.create("http://127.0.0.1:8000"),
                new CredentialConfig(null, null, SECRET), null, null);
        String text = new AgentSettings(null, null, null, Map.of("vllm", service)).toString();

        assertThat(text).doesNotContain("sk-settings-123").contains("Secret[env:MODEL_KEY, redacted]");
    }

    @Test
    void settingsWithoutServicesAreRefused() {
        assertThatThrownBy(() -> new AgentSettings(null, null, null, Map.of()))
                .isInstanceOf(ConfigException.class).hasMessage("at least one service is required")
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("services");
    }

    @Test
    void aServiceNameWithSpacesIsRefused() {
        assertThatThrownBy(() -> new AgentSettings(null, null, null, Map.of("my model", SERVICE)))
                .isInstanceOf(ConfigException.class)
                .hasMessage("'my model' is not a service name (expected letters, digits, '.', '_' or '-')");
    }

    @Test
    void aPortOutOfRangeIsRefusedNamingThePort() {
        assertThatThrownBy(() -> new ListenConfig(null, 70000))
                .isInstanceOf(ConfigException.class).hasMessage("must be between 0 and 65535, got 70000")
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("port");
    }

    @Test
    void aServiceUrlMustBeHttpWithoutUserInfoOrQuery() {
        assertThatThrownBy(() -> ServiceConfig.of(URI.create("ftp://models/")))
                .isInstanceOf(ConfigException.class).hasMessage("'ftp://models/' must be an http, https, grpc or grpcs URL");
        assertThatThrownBy(() -> ServiceConfig.of(URI.create("http://user:pw@models:8000")))
                .isInstanceOf(ConfigException.class).hasMessage("must not contain user info (put credentials in 'credential')");
        assertThatThrownBy(() -> ServiceConfig.of(URI.create("http://models:8000/v1?key=x")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("'http://models:8000/v1?key=x' must not have a query or fragment");
        assertThatThrownBy(() -> new ServiceConfig(null, null, null, null))
                .isInstanceOf(ConfigException.class)
                .hasMessage("is required (the model server's base URL, e.g. http://127.0.0.1:8000)");
    }

    @Test
    void aGrpcOrGrpcsUrlMakesAGrpcServiceWithoutAPathAndWithACredentialThatCanBeMetadata() {
        Secret secret = Secret.of("env:K", "k");

        ServiceConfig plaintext = ServiceConfig.of(URI.create("grpc://127.0.0.1:8001"));
        ServiceConfig tls = ServiceConfig.of(URI.create("GRPCS://models.example"));

        assertThat(plaintext.isGrpc()).isTrue();
        assertThat(plaintext.usesTls()).isFalse();
        assertThat(plaintext.port()).isEqualTo(8001);
        assertThat(tls.isGrpc()).isTrue();
        assertThat(tls.usesTls()).isTrue();
        assertThat(tls.port()).isEqualTo(443);
        assertThat(ServiceConfig.of(URI.create("https://m")).isGrpc()).isFalse();
        assertThat(new ServiceConfig(URI.create("grpc://m:1/"), new CredentialConfig("X-Api-Key", "", secret), null, null)
                .isGrpc()).isTrue();
        assertThatThrownBy(() -> ServiceConfig.of(URI.create("grpc://m:8001/v2")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("'grpc://m:8001/v2' must not have a path (a gRPC call's path is its method name)");
        assertThatThrownBy(() -> new ServiceConfig(URI.create("grpc://m:8001"), new CredentialConfig("X!Key", "", secret),
                null, null))
                .isInstanceOf(ConfigException.class)
                .hasMessage("header 'X!Key' cannot be gRPC metadata (expected letters, digits, '-', '_' or '.', not grpc-*)")
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("credential");
    }

    @Test
    void aTimeoutMustBePositive() {
        assertThatThrownBy(() -> new ServiceConfig(URI.create("http://m"), null, Duration.ZERO, null))
                .isInstanceOf(ConfigException.class).hasMessage("must be positive, got PT0S")
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("connectTimeout");
    }

    @Test
    void aCredentialNeedsASecretThatFitsInAHeader() {
        assertThatThrownBy(() -> new CredentialConfig(null, null, null))
                .isInstanceOf(ConfigException.class)
                .hasMessage("is required (a reference such as env:MODEL_API_KEY or file:/path), or a command that"
                        + " prints it");
        assertThatThrownBy(() -> new CredentialConfig(null, null, Secret.of("file:/run/key", "abc\ndef")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("the value of file:/run/key cannot be sent in a header (it is empty or holds a line break or control character)");
    }

    @Test
    void aCredentialCannotUseAHeaderTheAgentStripsOrAMalformedScheme() {
        assertThatThrownBy(() -> new CredentialConfig("Proxy-Authorization", null, SECRET))
                .isInstanceOf(ConfigException.class)
                .hasMessage("'Proxy-Authorization' cannot carry a credential (it is stripped or set by the transport)");
        assertThatThrownBy(() -> new CredentialConfig("X Key", null, SECRET))
                .isInstanceOf(ConfigException.class).hasMessage("'X Key' is not a valid header name");
        assertThatThrownBy(() -> new CredentialConfig(null, "Bearer x", SECRET))
                .isInstanceOf(ConfigException.class)
                .hasMessage("'Bearer x' is not a valid scheme (expected e.g. Bearer, or \"\" for the raw value)");
    }

    @Test
    void tlsSettingsNeedAllThreeFiles() {
        assertThatThrownBy(() -> new TlsServerConfig(Path.of("a.crt"), Path.of("a.key"), null))
                .isInstanceOf(ConfigException.class)
                .hasMessage("is required (the PEM CA certificate that signs gateway client certificates)")
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("clientCa");
    }

    @Test
    void aTrustedCaIsOnlyForServicesThatUseTls() {
        Path ca = Path.of("certs/models-ca.crt");

        assertThat(new ServiceConfig(URI.create("https://models.example"), null, null, null, ca).trustedCa()).isEqualTo(ca);
        assertThat(new ServiceConfig(URI.create("grpcs://models.example"), null, null, null, ca).trustedCa()).isEqualTo(ca);
        assertThat(ServiceConfig.of(URI.create("https://models.example")).trustedCa()).isNull();
        assertThatThrownBy(() -> new ServiceConfig(URI.create("http://models.example"), null, null, null, ca))
                .isInstanceOf(ConfigException.class)
                .hasMessage("is only for https:// and grpcs:// services ('http://models.example' does not use TLS)")
                .extracting(e -> ((ConfigException) e).field()).isEqualTo("trustedCa");
    }

    @Test
    void theAccessLogIsOnUnlessTurnedOff() {
        assertThat(new AgentSettings(null, null, null, Map.of("vllm", SERVICE)).accessLog().enabled()).isTrue();
        assertThat(new AgentSettings(null, null, null, Map.of("vllm", SERVICE), new AccessLogConfig(null)).accessLog())
                .isEqualTo(AccessLogConfig.defaults());
        assertThat(new AgentSettings(null, null, null, Map.of("vllm", SERVICE), new AccessLogConfig(false))
                .accessLog().enabled()).isFalse();
    }
}
