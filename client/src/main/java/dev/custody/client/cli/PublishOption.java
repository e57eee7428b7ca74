package dev.custody.client.cli;

import picocli.CommandLine.Option;

/** {@code -p, --publish}: notary's flag on the commands that stage a change, to publish it right away. */
final class PublishOption {
    @Option(
            names = {"-p", "--publish"},
            description = "Publish right away")
    boolean publish;

    /** The end of a staging command: notary's publish lines when it ran with {@code -p}; exit status OK. */
    int staged(CommandBase c, String gun) {
        if (publish) {
            RepoCommands.autoPublished(c, gun);
        }
        return ExitCodes.OK;
    }
}
