package io.gatehouse.gateway.identity;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GatewaySigningKeyTest {

    @TempDir
    Path data;

    @Test
    void nothingIsWrittenUntilTheKeyIsFirstUsed() {
        GatewaySigningKey.at(data);

        assertThat(GatewaySigningKey.keyFile(data)).doesNotExist();
    }

    @Test
    void aSignedTokenVerifiesWithThePublishedJwksAndTheKeyIsOwnerOnly() throws Exception {
        GatewaySigningKey key = GatewaySigningKey.at(data);

        String token = key.sign("gatehouse-identity+jwt", Map.of("sub", "alice", "groups", List.of("analysts"),
                "exp", 4_102_444_800L));

        SignedJWT jwt = SignedJWT.parse(token);
        JWKSet jwks = JWKSet.parse(key.jwks());
        ECKey published = (ECKey) jwks.getKeyByKeyId(jwt.getHeader().getKeyID());
        assertThat(published.isPrivate()).isFalse();
        assertThat(published.getKeyID()).isEqualTo(published.computeThumbprint().toString());
        assertThat(jwt.verify(new ECDSAVerifier(published))).isTrue();
        assertThat(jwt.getHeader().getType().getType()).isEqualTo("gatehouse-identity+jwt");
        assertThat(jwt.getJWTClaimsSet().getStringListClaim("groups")).containsExactly("analysts");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(GatewaySigningKey.keyFile(data))))
                .isEqualTo("rw-------");
        assertThat(key.jwks()).doesNotContain("\"d\"");
    }

    @Test
    void theKeyIsKeptAcrossRestartsAndSharedBySignersOfOneDataDirectory() throws Exception {
        String first = GatewaySigningKey.at(data).jwks();

        assertThat(GatewaySigningKey.at(data).jwks()).isEqualTo(first);
    }
}
