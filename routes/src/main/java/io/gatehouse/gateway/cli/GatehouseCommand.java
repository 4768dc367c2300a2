package io.gatehouse.gateway.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./gatehouse}: the one command line of the gateway, its agent and its demo. */
@Command(name = "gatehouse", mixinStandardHelpOptions = true, version = "gatehouse 0.1.0",
        description = "Identity-aware Layer 7 gateway for self-hosted models.",
        subcommands = {DemoCommand.class, ServeCommand.class, AgentCommand.class, ConfigCommand.class,
                TokenCommand.class, CommandLine.HelpCommand.class})
public final class GatehouseCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (tests run commands through it). */
    public static CommandLine commandLine() {
        return new CommandLine(new GatehouseCommand()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: demo, serve, agent, config, token");
    }
}
