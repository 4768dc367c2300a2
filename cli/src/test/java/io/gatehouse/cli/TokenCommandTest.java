package io.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.SignedJWT;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenCommandTest {

    @TempDir
    Path data;

    @Test
    void tokenPrintsTheTokenAndNothingElseSoShellSubstitutionWorks() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            exit = GatehouseCommand.commandLine().execute("token", "--user", "alice", "--groups", "analysts,auditors",
                    "--data", data.toString());
        } finally {
            System.setOut(original);
        }
        String printed = out.toString(StandardCharsets.UTF_8);

        assertThat(exit).isZero();
        assertThat(printed).endsWith("\n").doesNotContain(" ");
        assertThat(printed.strip().lines()).hasSize(1);
        SignedJWT jwt = SignedJWT.parse(printed.strip());
        assertThat(jwt.getJWTClaimsSet().getStringClaim("preferred_username")).isEqualTo("alice");
        assertThat(jwt.getJWTClaimsSet().getStringListClaim("groups")).containsExactly("analysts", "auditors");
        assertThat(jwt.getJWTClaimsSet().getIssuer()).isEqualTo("http://127.0.0.1:8090");
    }
}
