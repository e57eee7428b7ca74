package dev.custody.client.cli;

import dev.custody.client.api.CustodyApi;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.protocol.DaemonUnavailableException;
import dev.custody.protocol.Protocol;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code custody}: the root command, its global options (inherited by every subcommand, so they go
 * before or after the subcommand), and the connection every subcommand shares.
 */
@Command(
        name = "custody",
        mixinStandardHelpOptions = true,
        scope = ScopeType.INHERIT,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Sign Notary / Docker Content Trust repositories with keys that stay on hardware tokens.",
            "custody talks to custodyd over its Unix socket; the daemon holds the tokens, the trust state and the"
                    + " policy. The notary and docker trust commands keep their names, arguments and flags.",
            "Online commands talk to the Notary server through custodyd; offline commands only change what custodyd"
                    + " has staged locally. PINs are never taken from the command line."
        },
        footerHeading = "%nExit status:%n",
        footer = {
            "  0 ok, 1 error, 2 usage, 3 custodyd unreachable, 4 not found,",
            "  5 Notary server unreachable, 6 metadata invalid, 7 conflict,",
            "  8 not served by this custodyd, 9 busy (retry), 10 POLICY_DENIED,",
            " 11 APPROVAL_REQUIRED, 12 APPROVAL_DENIED, 20 TOKEN_ABSENT,",
            " 21 PIN_REQUIRED, 22 PIN_INCORRECT, 23 PIN_LOCKED.",
            "",
            "Example:",
            "  custody init registry.example.com/team/app -p",
            "  custody -s https://notary.example.com:4443 --tlscacert ca.pem list registry.example.com/team/app",
            "  custody add registry.example.com/team/app v1.2 ./app.tar.gz -p"
        })
final class CustodyCommand {
    /**
     * The top-level commands in help order. {@link Main} builds only the one being run (picocli reads
     * each command's annotations by reflection, which is most of a short command's start-up).
     */
    static final List<Class<?>> COMMANDS = List.of(
            RepoCommands.Init.class,
            RepoCommands.Add.class,
            RepoCommands.AddHash.class,
            RepoCommands.Remove.class,
            RepoCommands.ListTargets.class,
            RepoCommands.Lookup.class,
            RepoCommands.Publish.class,
            RepoCommands.Status.class,
            RepoCommands.Reset.class,
            RepoCommands.Verify.class,
            RepoCommands.Witness.class,
            RepoCommands.Delete.class,
            AdoptCommand.class,
            KeyCommands.class,
            DelegationCommands.class,
            TrustCommands.class,
            TokenCommands.class,
            ApprovalCommands.Pending.class,
            ApprovalCommands.Approve.class,
            ApprovalCommands.Deny.class,
            AuditCommands.class,
            DaemonCommands.Policy.class,
            CeremonyCommands.class,
            GenerateCommands.Completion.class,
            GenerateCommands.ManPage.class);

    @Spec
    CommandSpec spec;

    @Option(
            names = "--socket",
            scope = ScopeType.INHERIT,
            paramLabel = "PATH",
            description = "custodyd's socket (default: $CUSTODY_SOCKET, else " + "/run/custody/custody.sock)")
    Path socket;

    @Option(
            names = {"-s", "--server"},
            scope = ScopeType.INHERIT,
            paramLabel = "URL",
            description = "Notary server: its URL (https://notary.example.com:4443) or its name in custodyd's config;"
                    + " custodyd refuses a server its config does not list (default: its first server)")
    String server;

    @Option(
            names = "--tlscacert",
            scope = ScopeType.INHERIT,
            paramLabel = "FILE",
            description = "CA certificate (PEM) you trust for the Notary server: custodyd refuses the command unless"
                    + " the CA it uses for that server is exactly this one")
    Path tlsCaCert;

    @Option(
            names = {"-o", "--output"},
            scope = ScopeType.INHERIT,
            paramLabel = "FORMAT",
            description = "table (default) or json: a stable schema for scripts")
    OutputFormat output = OutputFormat.table;

    @Option(
            names = {"-D", "--debug"},
            scope = ScopeType.INHERIT,
            description = "Debug output: stack traces on errors")
    boolean debug;

    final Terminal terminal;
    private final ApiOpener opener;
    private CustodyApi api;
    private List<String> tlsCaSha256;

    /** Opens the connection; tests pass their own. */
    @FunctionalInterface
    interface ApiOpener {
        CustodyApi open(Path socket) throws DaemonUnavailableException;
    }

    CustodyCommand(Terminal terminal, ApiOpener opener) {
        this.terminal = terminal;
        this.opener = opener;
    }

    /** The socket this invocation talks to. */
    Path socketPath() {
        return socket != null ? socket : Protocol.socketFromEnvironment(terminal.env());
    }

    /** The SHA-256 fingerprints of the certificates in --tlscacert (read once), or null without it. */
    List<String> tlsCaSha256() {
        if (tlsCaCert != null && tlsCaSha256 == null) {
            tlsCaSha256 = TlsCaFile.fingerprints(tlsCaCert);
        }
        return tlsCaSha256;
    }

    /** The connection, opened on first use. */
    CustodyApi api() throws DaemonUnavailableException {
        if (api == null) {
            api = open(opener, socketPath(), terminal);
        }
        return api;
    }

    /**
     * Opens the connection to {@code socket} with the command line's listeners: custodyd's notices and
     * the wait while it is busy are told on {@code terminal}'s stderr.
     */
    static CustodyApi open(ApiOpener opener, Path socket, Terminal terminal) throws DaemonUnavailableException {
        StartupTrace.mark("command parsed, connecting");
        CustodyApi api = opener.open(socket);
        StartupTrace.mark("connected");
        api.protocol().onNotice(new NoticePrinter(terminal));
        api.protocol().onBusyWait(new BusyNotice(terminal));
        return api;
    }

    /** Says on stderr that custodyd is busy and the command waits (a class, not a lambda: start-up). */
    private static final class BusyNotice implements java.util.function.Consumer<dev.custody.protocol.BusyException> {
        private final Terminal terminal;

        BusyNotice(Terminal terminal) {
            this.terminal = terminal;
        }

        @Override
        public void accept(dev.custody.protocol.BusyException e) {
            terminal.err()
                    .println("custody: custodyd is busy (" + e.getMessage() + "); waiting and retrying for up to "
                            + CustodyClient.busyWaitFromEnvironment().toSeconds() + " s ($CUSTODY_BUSY_WAIT)");
            terminal.err().flush();
        }
    }

    void closeApi() {
        close(api);
        api = null;
    }

    /** Closes {@code api} (when open) at the end of a command. */
    static void close(CustodyApi api) {
        if (api != null) {
            try {
                api.close();
            } catch (IOException ignored) {
                // the command's outcome is already decided
            }
        }
    }
}
