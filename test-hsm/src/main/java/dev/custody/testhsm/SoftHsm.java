package dev.custody.testhsm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SoftHSM2 tokens in a private directory.
 *
 * <p>Call sequence: {@link #open(Path)} (or {@link #forThisProcess()} inside tests) →
 * {@link #createToken(String, String, String)} → hand {@link #module()} and the token label or
 * serial to the code under test. Nothing is written to {@code /var/lib/softhsm}.
 *
 * <p>SoftHSM2 reads {@code SOFTHSM2_CONF} when the library is initialised, so a JVM that loads the
 * module must be started with that variable pointing at {@link #conf()}. Surefire does this for
 * every module (see the parent pom); tokens created later by {@code softhsm2-util} in the same
 * token directory become visible to the running library on its next {@code C_GetSlotList}.
 *
 * <p>PINs are passed to {@code softhsm2-util} on its command line only because it has no other
 * input; these are throw-away test tokens, never production ones.
 */
public final class SoftHsm {
    /** Debian's SoftHSM2 module. */
    public static final Path MODULE =
            Path.of(System.getenv().getOrDefault("CUSTODY_SOFTHSM_MODULE", "/usr/lib/softhsm/libsofthsm2.so"));

    public static final String DEFAULT_SO_PIN = "12345678";
    public static final String DEFAULT_USER_PIN = "1234";

    private static final Pattern REASSIGNED = Pattern.compile("reassigned to slot (\\d+)", Pattern.CASE_INSENSITIVE);

    private final Path dir;
    private final Path conf;
    private final Path tokenDir;

    private SoftHsm(Path dir) throws IOException {
        this.dir = dir.toAbsolutePath();
        this.conf = this.dir.resolve("softhsm2.conf");
        this.tokenDir = this.dir.resolve("tokens");
        Files.createDirectories(tokenDir);
        if (!Files.exists(conf)) {
            String text = "directories.tokendir = " + tokenDir + "\n"
                    + "objectstore.backend = file\n"
                    + "log.level = ERROR\n"
                    + "slots.removable = false\n";
            Files.writeString(conf, text, StandardCharsets.UTF_8);
        }
    }

    /** A SoftHSM2 set-up in {@code dir}; creates the conf file and token directory if absent. */
    public static SoftHsm open(Path dir) throws IOException {
        return new SoftHsm(dir);
    }

    /**
     * The set-up this JVM's {@code SOFTHSM2_CONF} points at (the directory holding that file).
     *
     * @throws IllegalStateException if the variable is not set: the module would then use the
     *     system token directory, which tests must never touch
     */
    public static SoftHsm forThisProcess() throws IOException {
        String c = System.getenv("SOFTHSM2_CONF");
        if (c == null || c.isBlank()) {
            throw new IllegalStateException("SOFTHSM2_CONF is not set for this JVM; tests must run with a private"
                    + " SoftHSM2 conf (mvn sets it; see the parent pom's surefire configuration)");
        }
        Path p = Path.of(c).toAbsolutePath();
        if (!p.getFileName().toString().equals("softhsm2.conf")) {
            throw new IllegalStateException("SOFTHSM2_CONF must name a file called softhsm2.conf, got " + p);
        }
        return new SoftHsm(p.getParent());
    }

    public Path dir() {
        return dir;
    }

    public Path conf() {
        return conf;
    }

    public Path module() {
        return MODULE;
    }

    /** Environment for a child process (softhsm2-util, pkcs11-tool, notary, custodyd) using these tokens. */
    public Map<String, String> env() {
        return Map.of("SOFTHSM2_CONF", conf.toString());
    }

    /** A token just created: its label, its serial (as SoftHSM2 reports it) and its PINs. */
    public record Token(String label, String serial, String soPin, String userPin) {
        @Override
        public String toString() {
            return "Token[label=" + label + ", serial=" + serial + "]";
        }
    }

    /** Initialises a fresh token in the first free slot. */
    public Token createToken(String label, String soPin, String userPin) throws IOException {
        String out = run(List.of(
                "softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", soPin, "--pin", userPin));
        Matcher m = REASSIGNED.matcher(out);
        if (!m.find()) {
            throw new IOException("softhsm2-util did not report the new slot: " + out);
        }
        return new Token(label, serialOf(label), soPin, userPin);
    }

    public Token createToken(String label) throws IOException {
        return createToken(label, DEFAULT_SO_PIN, DEFAULT_USER_PIN);
    }

    /** Deletes a token and its objects (as if it was destroyed). */
    public void deleteToken(String label) throws IOException {
        run(List.of("softhsm2-util", "--delete-token", "--token", label));
    }

    /** The serial number of the token with this label, read from {@code softhsm2-util --show-slots}. */
    public String serialOf(String label) throws IOException {
        String out = run(List.of("softhsm2-util", "--show-slots"));
        // one block per slot; within a token block "Serial number:" precedes "Label:"
        for (String block : out.split("\n(?=Slot )")) {
            String serial = null;
            String blockLabel = null;
            for (String line : block.split("\n")) {
                String t = line.trim();
                if (t.startsWith("Serial number:")) {
                    serial = t.substring("Serial number:".length()).trim();
                } else if (t.startsWith("Label:")) {
                    blockLabel = t.substring("Label:".length()).trim();
                }
            }
            if (label.equals(blockLabel) && serial != null && !serial.isEmpty()) {
                return serial;
            }
        }
        throw new IOException("no token labelled '" + label + "' in " + conf);
    }

    /** Runs a command with this set-up's SOFTHSM2_CONF, returning stdout+stderr; fails on a non-zero exit. */
    public String run(List<String> command) throws IOException {
        // Output goes to a file so that the timeout holds even if the child never closes its stdout.
        Path log = Files.createTempFile("softhsm-run-", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command))
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            pb.environment().putAll(env());
            Process p = pb.start();
            p.getOutputStream().close(); // no tool here may wait for a PIN on stdin
            try {
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IOException("timed out: " + command.get(0));
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted running " + command.get(0), e);
            }
            String text = Files.readString(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IOException(command.get(0) + " exited " + p.exitValue() + ": " + text.strip());
            }
            return text;
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
