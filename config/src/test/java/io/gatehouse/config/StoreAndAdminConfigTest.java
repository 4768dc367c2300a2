package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code store:} and the admin API's {@code admin.auth} / {@code admin.auditors} in gateway.yaml. */
class StoreAndAdminConfigTest {

    @TempDir
    Path temp;

    private ConfigDir dir(String extra) {
        ConfigDir dir = new ConfigDir(temp);
        dir.write("gateway.yaml", ConfigDir.GATEWAY + "dataDirectory: " + temp.resolve("data") + "\n" + extra);
        dir.write("endpoints/chat.yaml", ConfigDir.endpoint("chat", "/v1"));
        return dir;
    }

    @Test
    void withoutAStoreSectionTheStoreIsAnH2FileUnderTheDataDirectoryFailingClosed() {
        GatewayConfig config = dir("").load().orThrow();

        assertThat(config.store()).isEqualTo(new StoreConfig("jdbc:h2:file:" + temp.resolve("data/store/gatehouse"),
                null, null, 4, StoreConfig.OnFailure.FAIL_CLOSED, null, 1000, Duration.ofSeconds(60)));
        assertThat(config.admin().auth()).isEmpty();
        assertThat(config.admin().auditors()).containsExactly("auditors");
        assertThat(config.admin().replayers()).containsExactly("replayers");
    }

    @Test
    void theReplayRightsGroupsAreReadAndABlankOneIsNamed() {
        assertThat(dir("admin:\n  replayers: [model-owners, release-managers]\n").load().orThrow().admin().replayers())
                .containsExactly("model-owners", "release-managers");
        assertThat(dir("admin:\n  replayers: []\n").load().orThrow().admin().replayers()).isEmpty();
        assertThat(dir("admin:\n  replayers: ['']\n").errors()).containsExactly(
                "gateway.yaml:9:14: field 'admin.replayers': must name groups, without blanks");
    }

    @Test
    void everyStoreKeyIsReadAndThePasswordIsASecret() {
        ConfigDir dir = dir("""
                store:
                  url: jdbc:postgresql://127.0.0.1:5432/gatehouse
                  username: gatehouse
                  password: env:DB_PASSWORD
                  poolSize: 8
                  onStoreFailure: spool
                  replicaId: gw-1
                  checkpointEvery: 50
                  checkpointInterval: 10s
                  approvalPollInterval: 5s
                """).env(Map.of("DB_PASSWORD", "s3cret"));

        StoreConfig store = dir.load().orThrow().store();

        assertThat(store.url()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/gatehouse");
        assertThat(store.password().reveal()).isEqualTo("s3cret");
        assertThat(store.onStoreFailure()).isEqualTo(StoreConfig.OnFailure.SPOOL);
        assertThat(store.replicaId()).isEqualTo("gw-1");
        assertThat(store.checkpointEvery()).isEqualTo(50);
        assertThat(store.checkpointInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(store.approvalPollInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(store.toString()).doesNotContain("s3cret");
    }

    @Test
    void approvalsArePolledEverySecondUnlessSaidOtherwiseWithinAHundredMillisecondsToAnHour() {
        assertThat(dir("store:\n  poolSize: 4\n").load().orThrow().store().approvalPollInterval())
                .isEqualTo(Duration.ofSeconds(1));
        assertThat(dir("store:\n  approvalPollInterval: 1h\n").load().orThrow().store().approvalPollInterval())
                .isEqualTo(Duration.ofHours(1));
        assertThat(dir("store:\n  approvalPollInterval: 50ms\n").errors()).containsExactly("gateway.yaml:9:25: field"
                + " 'store.approvalPollInterval': must be between 100ms and 1h, got PT0.05S");
        assertThat(dir("store:\n  approvalPollInterval: 2h\n").errors()).containsExactly("gateway.yaml:9:25: field"
                + " 'store.approvalPollInterval': must be between 100ms and 1h, got PT2H");
    }

    @Test
    void badStoreValuesAreReportedWithFileLineAndField() {
        assertThat(dir("""
                store:
                  url: jdbc:mysql://db/gatehouse
                  onStoreFailure: ignore
                  poolSize: 1
                  replicaId: Gw_1
                  password: hunter2
                """).errors()).containsExactly(
                "gateway.yaml:10:19: field 'store.onStoreFailure': value 'ignore' (expected: fail-closed|spool)",
                "gateway.yaml:13:13: field 'store.password': write a secret as env:NAME or file:PATH, not inline");
        assertThat(dir("""
                store:
                  url: jdbc:mysql://db/gatehouse
                """).errors()).containsExactly("gateway.yaml:9:8: field 'store.url': value 'jdbc:mysql://db/gatehouse'"
                + " (expected: a jdbc:h2: or jdbc:postgresql: URL)");
        assertThat(dir("""
                store:
                  poolSize: 1
                """).errors()).containsExactly("gateway.yaml:9:13: field 'store.poolSize': must be between 2 and 64, got 1");
        assertThat(dir("""
                store:
                  replicaId: Gw_1
                """).errors()).containsExactly("gateway.yaml:9:14: field 'store.replicaId': value 'Gw_1'"
                + " (expected: lower-case letters, digits and '-', at most 64 characters)");
    }

    @Test
    void adminAuthIsBoundToTheAuthStepsRecordAndAuditorsAreRead() {
        GatewayConfig config = dir("""
                admin:
                  port: 9091
                  auth:
                    jwksUrl: https://idp.example/certs
                    issuer: https://idp.example
                  auditors: [security, auditors]
                """).load().orThrow();

        assertThat(config.admin().port()).isEqualTo(9091);
        assertThat(config.admin().auth()).contains(new TestSteps.AuthConfig(java.net.URI.create(
                "https://idp.example/certs"), "https://idp.example", null, null));
        assertThat(config.admin().auditors()).containsExactly("security", "auditors");
    }

    @Test
    void aBadAdminAuthIsReportedLikeABadStep() {
        assertThat(dir("""
                admin:
                  auth:
                    issuer: https://idp.example
                    colour: blue
                """).errors()).containsExactly(
                "gateway.yaml:11:5: field 'admin.auth': unknown key 'colour' (accepted: jwksUrl, issuer, audience,"
                        + " clientSecret)");
        assertThat(dir("""
                admin:
                  auth:
                    issuer: https://idp.example
                """).errors()).containsExactly("gateway.yaml:10:5: field 'admin.auth.jwksUrl': is required");
        assertThat(dir("""
                admin:
                  auditors: []
                """).errors()).containsExactly(
                "gateway.yaml:9:13: field 'admin.auditors': must name at least one group, without blanks");
    }

    @Test
    void adminAuthWithoutAnAuthStepIsAnError() {
        ConfigDir dir = dir("""
                admin:
                  auth:
                    issuer: https://idp.example
                """);
        List<String> errors = new ConfigLoader(Map.of(), name -> null).load(dir.root).formattedErrors();

        assertThat(errors).containsExactly("gateway.yaml:10:5: field 'admin.auth': the admin API's auth needs the 'auth'"
                + " step, which no processor factory provides");
    }
}
