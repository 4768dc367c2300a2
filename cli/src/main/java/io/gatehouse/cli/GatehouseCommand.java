package io.gatehouse.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./gatehouse}: the one command line of the gateway, its agent and its demo. */
@Command(name = "gatehouse", mixinStandardHelpOptions = true, version = "gatehouse 0.1.0",
        description = "Identity-aware Layer 7 gateway for self-hosted models.",
        subcommands = {DemoCommand.class, ServeCommand.class, AgentCommand.class, ConfigCommand.class,
                ReloadCommand.class,
                TokenCommand.class, KeycloakCommand.class, SessionsCommand.class, AuditCommand.class,
                PolicyCommand.class,
                ApprovalsCommand.class, BreakGlassCommand.class,
                CommandLine.HelpCommand.class})
public final class GatehouseCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        widenCommonPool();
        leakDetectionOffUnlessAsked();
        System.exit(commandLine().execute(args));
    }

    /**
     * On a 2-core machine the JDK's common pool has one worker, and {@code CompletableFuture} then
     * runs every async completion on a new thread — the JDK HttpClient does so for each call, so
     * the agent started a thread per request (seen in bench/: ~19,000 threads in one run). Two
     * workers avoid it. Must run before anything touches the common pool.
     */
    static void widenCommonPool() {
        String key = "java.util.concurrent.ForkJoinPool.common.parallelism";
        if (System.getProperty(key) == null && Runtime.getRuntime().availableProcessors() <= 2) {
            System.setProperty(key, "2");
        }
    }

    /**
     * Netty's leak detector, at its default level, records the stack of one buffer in 128: in bench/ that
     * was about 2 % of the agent's CPU (a stack walk per sampled buffer). It finds bugs, not attacks, so the
     * commands run without it and the test suite runs with it; {@code -Dio.netty.leakDetection.level=simple}
     * (e.g. in {@code GATEHOUSE_JAVA_OPTS}) turns it back on. Must run before Netty's first buffer.
     */
    static void leakDetectionOffUnlessAsked() {
        if (System.getProperty(NETTY_LEAK_DETECTION) == null) {
            System.setProperty(NETTY_LEAK_DETECTION, "disabled");
        }
    }

    static final String NETTY_LEAK_DETECTION = "io.netty.leakDetection.level";

    /** The configured command line (tests run commands through it). */
    public static CommandLine commandLine() {
        return new CommandLine(new GatehouseCommand()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: demo, serve, agent, config, token, keycloak,"
                + " sessions, audit, approvals, break-glass, policy");
    }
}
