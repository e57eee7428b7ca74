package dev.custody.testhsm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One long-lived process ({@code src/test/c/p11probe.c}) that makes PKCS#11 calls on command, so a
 * test can change the shim's control file between two calls of the same process. Use it inside
 * {@code assertTimeoutPreemptively}: a reply that never comes blocks in {@link #call(String)}.
 */
final class Probe implements AutoCloseable {
    private static final Pattern REPLY = Pattern.compile("^(\\S+) rv=0x([0-9a-f]+) (\\S+)(.*)$");

    /** One reply line: {@code <command> rv=0x<hex> <CKR name> [key=value ...]}. */
    record Reply(String line, long rv, String ckr, String rest) {
        String get(String key) {
            Matcher m = Pattern.compile("\\b" + Pattern.quote(key) + "=(\\S+)").matcher(rest);
            if (!m.find()) {
                throw new AssertionError("no " + key + "= in reply: " + line);
            }
            return m.group(1);
        }

        @Override
        public String toString() {
            return line;
        }
    }

    private final Process process;
    private final BufferedReader out;
    private final Writer in;

    private Probe(Process process) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    static Path executable() throws IOException {
        return NativeBuild.build(
                NativeBuild.Kind.EXECUTABLE, "p11probe.c", "custody-p11probe", List.of("custody_ckr.h"));
    }

    /** Starts the probe on {@code module}; the user PIN goes into its environment (test tokens only). */
    static Probe start(Path module, String pin) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(executable().toString(), module.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("PROBE_PIN", pin);
        return new Probe(pb.start());
    }

    Reply call(String command) throws IOException {
        in.write(command + "\n");
        in.flush();
        String line = out.readLine();
        if (line == null) {
            throw new IOException("p11probe exited (" + (process.isAlive() ? "?" : process.exitValue())
                    + ") before answering '" + command + "'");
        }
        Matcher m = REPLY.matcher(line);
        if (!m.matches()) {
            throw new IOException("unexpected p11probe reply: " + line);
        }
        return new Reply(
                line, Long.parseLong(m.group(2), 16), m.group(3), m.group(4).strip());
    }

    /** Sends {@code command} and fails unless it returned CKR_OK. */
    Reply ok(String command) throws IOException {
        Reply r = call(command);
        if (r.rv() != 0) {
            throw new AssertionError("'" + command + "' failed: " + r.line());
        }
        return r;
    }

    @Override
    public void close() throws IOException {
        try {
            in.write("quit\n");
            in.flush();
            in.close();
        } catch (IOException e) {
            // already gone
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
