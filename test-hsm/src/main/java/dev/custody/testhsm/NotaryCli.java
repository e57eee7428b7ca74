package dev.custody.testhsm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code notary} CLI (Debian's notary 0.7) against one server, with its own trust directory.
 *
 * <p>Call sequence: {@link #create(Path, String, Path)} → {@link #ok(String...)} / {@link #run(String...)}
 * (as many as needed) — each call is {@code notary -s URL -d TRUSTDIR [--tlscacert CA] ARGS…}.
 * Passphrases go in {@code NOTARY_ROOT_PASSPHRASE}, {@code NOTARY_TARGETS_PASSPHRASE},
 * {@code NOTARY_SNAPSHOT_PASSPHRASE} and {@code NOTARY_DELEGATION_PASSPHRASE}, never on the command line;
 * standard input is closed unless {@link #runWithInput(String, String...)} gives it text (e.g. the
 * "yes" that {@code key rotate GUN root} asks for). Notary prints its fatal errors on stdout.
 */
public final class NotaryCli {
    public static final String DEFAULT_PASSPHRASE = "custody-test-passphrase";

    private final Path trustDir;
    private final String serverUrl;
    private final Path caCert;
    private final Map<String, String> env = new HashMap<>();

    private NotaryCli(Path trustDir, String serverUrl, Path caCert) {
        this.trustDir = trustDir.toAbsolutePath();
        this.serverUrl = serverUrl;
        this.caCert = caCert;
        for (String role : List.of("ROOT", "TARGETS", "SNAPSHOT", "DELEGATION")) {
            env.put("NOTARY_" + role + "_PASSPHRASE", DEFAULT_PASSPHRASE);
        }
    }

    /**
     * @param trustDir the client's trust directory (created if absent)
     * @param serverUrl e.g. {@link NotaryServer#url()}
     * @param caCert the server's CA for HTTPS, or null for plain HTTP
     */
    public static NotaryCli create(Path trustDir, String serverUrl, Path caCert) throws IOException {
        Files.createDirectories(trustDir);
        return new NotaryCli(trustDir, serverUrl, caCert);
    }

    public static NotaryCli create(Path trustDir, NotaryServer server) throws IOException {
        return create(trustDir, server.url(), server.isTls() ? server.caCert() : null);
    }

    public Path trustDir() {
        return trustDir;
    }

    /** The client's cached metadata of a role: {@code TRUSTDIR/tuf/GUN/metadata/ROLE.json}. */
    public Path metadataFile(String gun, String role) {
        return trustDir.resolve("tuf").resolve(gun).resolve("metadata").resolve(role + ".json");
    }

    /** Sets the passphrase for {@code root}, {@code targets}, {@code snapshot} or {@code delegation}. */
    public NotaryCli passphrase(String role, String passphrase) {
        env.put("NOTARY_" + role.toUpperCase(java.util.Locale.ROOT) + "_PASSPHRASE", passphrase);
        return this;
    }

    /** What one run printed and returned. */
    public record Result(int exitCode, String stdout, String stderr) {
        public boolean ok() {
            return exitCode == 0;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    /** Runs and fails unless notary exits 0 and printed no {@code fatal}; returns stdout. */
    public String ok(String... args) throws IOException {
        Result r = run(args);
        if (!r.ok() || r.stdout().contains("* fatal:")) {
            throw new IOException("notary " + String.join(" ", args) + " failed: " + r);
        }
        return r.stdout();
    }

    public Result run(String... args) throws IOException {
        return runWithInput(null, args);
    }

    /** Runs with {@code input} on standard input (null: closed at once). */
    public Result runWithInput(String input, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("notary", "-s", serverUrl, "-d", trustDir.toString()));
        if (caCert != null) {
            cmd.add("--tlscacert");
            cmd.add(caCert.toAbsolutePath().toString());
        }
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        // notary reads ~/.notary/config.json; keep it away from the user's
        pb.environment().put("HOME", trustDir.toString());
        Process p = pb.start();
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try (OutputStream in = p.getOutputStream()) {
            if (input != null) {
                in.write(input.getBytes(StandardCharsets.UTF_8));
            }
        }
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("notary " + String.join(" ", args) + " timed out");
            }
            return new Result(p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("could not read notary's output", e);
        }
    }

    private static CompletableFuture<String> drain(InputStream s) {
        return CompletableFuture.supplyAsync(() -> {
            try (s) {
                return new String(s.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
    }
}
