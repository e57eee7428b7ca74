package dev.custody.client.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/** Runs {@code custody} in-process with captured streams and no terminal, as in CI. */
record CliRun(int status, String out, String err, byte[] rawOut) {
    static CliRun run(String stdin, Map<String, String> env, CustodyCommand.ApiOpener opener, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        Terminal t = new Terminal(
                new PrintWriter(out, true),
                new PrintWriter(err, true),
                raw,
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                env,
                Optional.empty());
        int status = Main.run(args, t, opener);
        return new CliRun(status, out.toString(), err.toString(), raw.toByteArray());
    }

    /** With an opener that fails the test: for input that must be refused before connecting. */
    static CliRun offline(String stdin, String... args) {
        return run(
                stdin,
                Map.of(),
                s -> {
                    throw new AssertionError("must not connect to " + s);
                },
                args);
    }
}
