package dev.custody.client.cli;

import picocli.CommandLine.Parameters;

/** A command whose first argument is the repository's Globally Unique Name. */
abstract class GunCommand extends CommandBase {
    @Parameters(index = "0", paramLabel = "GUN")
    String gun;
}
