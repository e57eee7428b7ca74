package dev.custody.client.cli;

import dev.custody.client.api.CustodyApi;
import dev.custody.protocol.DaemonUnavailableException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every subcommand shares: the root's options and connection, output, and progress. */
abstract class CommandBase implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public final Integer call() throws Exception {
        return run();
    }

    /** Runs the command; returns its exit status. Failures are thrown and reported by {@link Main}. */
    abstract int run() throws Exception;

    CustodyCommand root() {
        return (CustodyCommand) spec.root().userObject();
    }

    CustodyApi api() throws DaemonUnavailableException {
        List<String> ca = root().tlsCaSha256(); // a bad --tlscacert is refused before connecting
        return root().api().server(serverName()).serverCa(ca);
    }

    /**
     * -s, else for docker trust commands $DOCKER_CONTENT_TRUST_SERVER, else null (custodyd's default): a
     * URL or a configured name, which custodyd resolves to one of its configured servers.
     */
    String serverName() {
        if (root().server != null) {
            return root().server;
        }
        if (spec.qualifiedName().startsWith("custody trust")) {
            String s = terminal().env().get("DOCKER_CONTENT_TRUST_SERVER");
            return s == null || s.isBlank() ? null : s;
        }
        return null;
    }

    Terminal terminal() {
        return root().terminal;
    }

    PrintWriter out() {
        return terminal().out();
    }

    boolean json() {
        return root().output == OutputFormat.json;
    }

    /** Prints {@code value} as indented JSON (the {@code --output json} schema is the record's). */
    void printJson(Object value) {
        out().println(JsonText.indent(CustodyApi.mapper().valueToTree(value), "  "));
    }

    /**
     * What a command prints for its result: with {@code -o json} the result as indented JSON, else what
     * {@code text} prints; the exit status is {@link ExitCodes#OK}.
     */
    int report(Object result, Runnable text) {
        if (json()) {
            printJson(result);
        } else {
            text.run();
        }
        return ExitCodes.OK;
    }

    /** Progress for a call that may take long: shown on a terminal, nothing otherwise. */
    Progress progress(String what) {
        return Progress.start(terminal(), what);
    }
}
