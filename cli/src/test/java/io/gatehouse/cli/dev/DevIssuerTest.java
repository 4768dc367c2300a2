package io.gatehouse.cli.dev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevIssuerTest {

    @TempDir
    Path data;

    @Test
    void theDevKeyIsCreatedOnceAndReadableByItsOwnerOnly() throws Exception {
        RSAKey first = DevKeys.loadOrCreate(data);
        RSAKey second = DevKeys.loadOrCreate(data);

        assertThat(second.getKeyID()).isEqualTo(first.getKeyID());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(DevKeys.keyFile(data))))
                .isEqualTo("rw-------");
    }

    @Test
    void theIssuerRefusesToBindANonLoopbackAddressUnlessForced() throws Exception {
        RSAKey key = DevKeys.loadOrCreate(data);

        assertThatThrownBy(() -> DevIssuer.start("0.0.0.0", 0, key, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the dev issuer binds loopback only (asked for 0.0.0.0); its key mints tokens for anyone "
                        + "who reads it. Use --force-dev-issuer-bind to override");
    }

    @Test
    void theIssuerPublishesThePublicKeyThatVerifiesItsTokens() throws Exception {
        RSAKey key = DevKeys.loadOrCreate(data);
        try (DevIssuer issuer = DevIssuer.start("127.0.0.1", 0, key, false)) {
            String jwks = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(issuer.issuer() + "/jwks.json")).build(), HttpResponse.BodyHandlers.ofString()).body();
            JWKSet set = JWKSet.parse(jwks);
            assertThat(set.getKeys()).hasSize(1);
            assertThat(set.getKeys().get(0).isPrivate()).isFalse();

            String token = DevTokens.issue(key, issuer.issuer(), "gatehouse", "alice", List.of("analysts"),
                    Duration.ofMinutes(5), Instant.now());
            SignedJWT jwt = SignedJWT.parse(token);
            assertThat(jwt.verify(new RSASSAVerifier(set.getKeys().get(0).toRSAKey()))).isTrue();
            assertThat(jwt.getJWTClaimsSet().getStringClaim("preferred_username")).isEqualTo("alice");
            assertThat(jwt.getJWTClaimsSet().getStringListClaim("groups")).containsExactly("analysts");
            assertThat(jwt.getJWTClaimsSet().getAudience()).containsExactly("gatehouse");
            assertThat(jwt.getJWTClaimsSet().getExpirationTime().toInstant()).isAfter(Instant.now());
        }
    }
}
