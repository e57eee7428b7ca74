package dev.custody.client.cli;

import java.io.Console;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.util.Map;
import java.util.Optional;

/**
 * What a command may touch of its process: the streams, the environment, and the console (present
 * only when stdin and stdout are a terminal). Tests pass their own.
 *
 * @param rawOut stdout for bytes ({@code verify} echoes the content); flush {@code out} first
 * @param console the terminal to prompt on without echo; empty in pipes, CI and tests
 */
record Terminal(
        PrintWriter out,
        PrintWriter err,
        OutputStream rawOut,
        InputStream in,
        Map<String, String> env,
        Optional<Console> console) {

    static Terminal system() {
        return new Terminal(
                new PrintWriter(System.out, true),
                new PrintWriter(System.err, true),
                System.out,
                System.in,
                System.getenv(),
                Optional.ofNullable(System.console()));
    }

    /** True on a terminal: progress and confirmations are shown only then. */
    boolean interactive() {
        return console.isPresent();
    }
}
