package dev.custody.client.it;

import static org.assertj.core.api.Assertions.assertThat;

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
 * Runs {@code bin/custody} as a child process, as a user would: its own JVM, its own environment,
 * stdin closed unless given, no terminal.
 */
final class Custody {
    /** The repository root: bin/custody and client/target/ are there. */
    static final Path HOME =
            Path.of(System.getProperty("custody.home", "..")).toAbsolutePath().normalize();

    static final Path LAUNCHER = HOME.resolve("bin/custody");

    /** What one run produced. */
    record Result(int status, String out, String err) {
        Result ok() {
            assertThat(status)
                    .as("exit status of custody; stderr: %s; stdout: %s", err, out)
                    .isZero();
            return this;
        }
    }

    private final List<String> prefix = new ArrayList<>();
    private final Map<String, String> env = new HashMap<>();
    private Path launcher = LAUNCHER;

    Custody(Path socket, Path cdsDir) {
        env.put("CUSTODY_SOCKET", socket.toString());
        env.put("CUSTODY_CDS_DIR", cdsDir.toString());
    }

    /** Runs {@code launcherCopy} (an {@link #installCopy}) instead of the source tree's bin/custody. */
    Custody launcher(Path launcherCopy) {
        launcher = launcherCopy;
        return this;
    }

    /** {@code custody token unlock NAME --pin-stdin} with {@link DaemonFixture#PIN}, for each token in turn; this. */
    Custody unlock(String... tokens) throws IOException, InterruptedException {
        for (String t : tokens) {
            runWithInput(DaemonFixture.PIN + "\n", "token", "unlock", t, "--pin-stdin")
                    .ok();
        }
        return this;
    }

    Custody env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** Runs as another user (needs root): {@code setpriv --reuid=UID --regid=GID --clear-groups}. */
    Custody as(int uid, int gid, Path launcherCopy) {
        prefix.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups"));
        launcher = launcherCopy;
        env.put("CUSTODY_CDS", "off");
        env.put("HOME", "/tmp");
        return this;
    }

    Result run(String... args) throws IOException, InterruptedException {
        return runWithInput(null, args);
    }

    Result runWithInput(String stdin, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(launcher.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("CUSTODY_") || k.startsWith("DOCKER_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        CompletableFuture<String> out = read(p.getInputStream());
        CompletableFuture<String> err = read(p.getErrorStream());
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("custody " + String.join(" ", args) + " did not finish in 90 s");
        }
        return new Result(p.exitValue(), out.join(), err.join());
    }

    /** Reads a child's stream to the end on another thread (so stdout and stderr cannot block each other). */
    static CompletableFuture<String> read(InputStream s) {
        return CompletableFuture.supplyAsync(() -> {
            try (s) {
                return new String(s.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /**
     * A copy of the launcher and the runtime jars in {@code dir} (installed layout: bin/, lib/),
     * readable by every user: the build's jars sit under root's home.
     */
    static Path installCopy(Path dir) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path lib = Files.createDirectories(dir.resolve("lib"));
        Files.copy(LAUNCHER, bin.resolve("custody"));
        try (var jars = Files.list(HOME.resolve("client/target"))) {
            for (Path j : jars.filter(f -> f.getFileName().toString().matches("custody-client-.*\\.jar"))
                    .toList()) {
                Files.copy(j, lib.resolve(j.getFileName()));
            }
        }
        try (var jars = Files.list(HOME.resolve("client/target/lib"))) {
            for (Path j : jars.toList()) {
                Files.copy(j, lib.resolve(j.getFileName()));
            }
        }
        return bin.resolve("custody");
    }
}
