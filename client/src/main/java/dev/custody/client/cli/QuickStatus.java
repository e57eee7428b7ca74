package dev.custody.client.cli;

import dev.custody.client.api.CustodyApi;
import dev.custody.protocol.Protocol;
import java.nio.file.Path;

/**
 * {@code custody status} as typed, with no other argument: the most frequent short command, run
 * without building picocli's command model (reading the annotations of the root and of {@code status}
 * by reflection costs this command more than talking to custodyd). It prints, fails and exits exactly
 * as {@link RepoCommands.Status} through picocli does: the same table ({@link DaemonCommands.Status}),
 * the same {@link Failure} line and exit status. Any other spelling (options, a GUN, -o json, --help)
 * takes the usual path.
 */
final class QuickStatus {
    private QuickStatus() {}

    /** True for exactly {@code custody status}. */
    static boolean applies(String[] args) {
        return args.length == 1 && "status".equals(args[0]);
    }

    static int run(Terminal terminal, CustodyCommand.ApiOpener opener) {
        Path socket = Protocol.socketFromEnvironment(terminal.env());
        CustodyApi api = null;
        try {
            api = CustodyCommand.open(opener, socket, terminal);
            return DaemonCommands.Status.printTable(api, socket, terminal.out());
        } catch (Exception ex) {
            Failure f = Failure.of(ex, socket, Main.socketGroup(socket));
            terminal.err().println("custody: " + f.line());
            return f.exitCode();
        } finally {
            CustodyCommand.close(api);
            terminal.out().flush();
            terminal.err().flush();
            StartupTrace.mark("done");
        }
    }
}
