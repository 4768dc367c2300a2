package io.gatehouse.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The approvals commands' own failures; their work against a gateway is covered by ApprovalFlowIT. */
class ApprovalsCommandTest {

    private static String[] run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int exit;
        try {
            PrintStream p = new PrintStream(captured, true, StandardCharsets.UTF_8);
            System.setOut(p);
            System.setErr(p);
            exit = GatehouseCommand.commandLine().execute(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new String[] {Integer.toString(exit), captured.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void approvingWithoutATokenSaysHowToGiveOne() {
        String[] result = run("approvals", "approve", "apr-1", "--reason", "ok", "--admin", "http://127.0.0.1:1");

        assertThat(result[0]).isEqualTo("2");
        assertThat(result[1]).isEqualTo("gatehouse: no token: pass --token or set GATEHOUSE_TOKEN (your own OIDC"
                + " access token)\n");
    }

    @Test
    void aDecisionNeedsAReason() {
        String[] result = run("approvals", "deny", "apr-1", "--token", "t");

        assertThat(result[0]).isEqualTo("2");
        assertThat(result[1]).startsWith("Missing required option: '--reason=<reason>'");
    }

    @Test
    void anUnreachableAdminApiIsNamed() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String[] result = run("approvals", "list", "--token", "t", "--admin", "http://127.0.0.1:" + port);

        assertThat(result[0]).isEqualTo("2");
        assertThat(result[1]).isEqualTo("gatehouse: cannot reach the admin API at http://127.0.0.1:" + port
                + " (is the gateway running?)\n");
    }

    @Test
    void aMalformedIdIsRefusedBeforeAnyCall() {
        String[] result = run("approvals", "show", "../sessions", "--token", "t", "--admin", "http://127.0.0.1:1");

        assertThat(result[1]).isEqualTo("gatehouse: '../sessions' is not an approval id\n");
    }
}
