package io.gatehouse.cli;

import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.cli.dev.DevKeys;
import io.gatehouse.cli.dev.DevTokens;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code gatehouse token --user U --groups G1,G2}: a token signed with the demo's dev key. Prints
 * the token and nothing else on stdout, so {@code TOKEN=$(./gatehouse token ...)} works.
 */
@Command(name = "token", mixinStandardHelpOptions = true,
        description = "Prints a token from the development issuer (demo and dev only).")
final class TokenCommand implements Callable<Integer> {

    @Option(names = "--user", required = true, description = "the username (preferred_username)")
    String user;

    @Option(names = "--groups", split = ",", description = "comma-separated groups")
    List<String> groups = List.of();

    @Option(names = "--amr", split = ",", description = "comma-separated authentication methods, e.g. pwd,otp for"
            + " a sign-in with a second factor (policies may require otp)")
    List<String> amr = List.of();

    @Option(names = "--ttl", description = "lifetime, e.g. PT1H or 15m (default: ${DEFAULT-VALUE})",
            defaultValue = "1h", converter = DurationConverter.class)
    Duration ttl;

    @Option(names = "--audience", defaultValue = DemoCommand.AUDIENCE, description = "aud (default: ${DEFAULT-VALUE})")
    String audience;

    @Option(names = "--issuer", defaultValue = DemoCommand.ISSUER, description = "iss (default: ${DEFAULT-VALUE})")
    String issuer;

    @Option(names = "--data", defaultValue = "data", description = "the data directory holding the dev key "
            + "(default: ${DEFAULT-VALUE})")
    Path data;

    @Override
    public Integer call() throws Exception {
        RSAKey key = DevKeys.loadOrCreate(data);
        System.out.println(DevTokens.issue(key, issuer, audience, user, groups, amr, ttl, Instant.now()));
        return 0;
    }
}
