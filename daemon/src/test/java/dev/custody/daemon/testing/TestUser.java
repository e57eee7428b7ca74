package dev.custody.daemon.testing;

import dev.custody.daemon.policy.UnixAccounts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway system user (made with {@code useradd}, removed by {@link #close} if this created it)
 * that runs Java mains from the test class path as its own uid through {@code setpriv}. Needs root
 * and setpriv ({@link Capability#ROOT}, {@link Capability#SETPRIV}).
 */
public final class TestUser implements AutoCloseable {
    private final String name;
    private final boolean created;
    private final long uid;
    private final long gid;
    private final Path workDir;
    private final String classpath;

    private TestUser(String name, boolean created, long uid, long gid, Path workDir, String classpath) {
        this.name = name;
        this.created = created;
        this.uid = uid;
        this.gid = gid;
        this.workDir = workDir;
        this.classpath = classpath;
    }

    /**
     * Creates {@code name} (unless it exists) and copies the test class path into {@code shared}/cp,
     * world-readable: the user cannot read /root/.m2. {@code shared} is made traversable (0711).
     */
    public static TestUser create(String name, Path shared) throws Exception {
        boolean created = false;
        if (UnixAccounts.uidOf(name).isEmpty()) {
            Result r = run(List.of("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name));
            if (r.exit() != 0) {
                throw new IllegalStateException("useradd " + name + ": " + r.output());
            }
            created = true;
        }
        try {
            long uid = UnixAccounts.uidOf(name).orElseThrow();
            long gid = Long.parseLong(run(List.of("id", "-g", name)).output().trim());
            Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwx--x--x"));
            Path cp = Files.createDirectory(shared.resolve("cp"));
            Files.setPosixFilePermissions(cp, PosixFilePermissions.fromString("rwxr-xr-x"));
            List<String> entries = new ArrayList<>();
            int i = 0;
            for (Path e : TestClasspath.entries()) {
                if (e.getFileName().toString().startsWith("surefirebooter")) {
                    continue;
                }
                Path to = cp.resolve((i++) + "-" + e.getFileName());
                copyTree(e, to);
                entries.add(to.toString());
            }
            return new TestUser(name, created, uid, gid, cp, String.join(":", entries));
        } catch (Exception | Error e) {
            if (created) {
                run(List.of("userdel", name));
            }
            throw e;
        }
    }

    public String name() {
        return name;
    }

    /** Whether {@link #create} made the user (and {@link #close} removes it). */
    public boolean created() {
        return created;
    }

    public long uid() {
        return uid;
    }

    public long gid() {
        return gid;
    }

    /** Starts {@code main} with {@code args} as this user (its uid and primary gid, no other groups). */
    public Process start(Class<?> main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                "setpriv",
                "--reuid=" + uid,
                "--regid=" + gid,
                "--clear-groups",
                TestClasspath.java(),
                "-cp",
                classpath,
                main.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .directory(workDir.toFile())
                .start();
        p.getOutputStream().close();
        return p;
    }

    /**
     * Calls {@code method} as this user from a child JVM (its own process and connection) and returns
     * {@link dev.custody.daemon.PeerClientMain}'s outcome: {@code {"ok":true,"result":…}} or
     * {@code {"ok":false,"code":…,"message":…}}.
     */
    public com.fasterxml.jackson.databind.JsonNode call(
            Path socket, String method, com.fasterxml.jackson.databind.JsonNode params) throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper m = new com.fasterxml.jackson.databind.ObjectMapper();
        Process p =
                start(dev.custody.daemon.PeerClientMain.class, socket.toString(), method, m.writeValueAsString(params));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("the client of " + name + " did not finish");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("the client of " + name + " failed: " + out);
        }
        return m.readTree(out);
    }

    /**
     * Lets other uids reach a daemon's {@code socket} (a test daemon binds it 0660 for its own group):
     * the socket 0666 and its directory 0755. The directories above must be traversable already.
     */
    public static void openSocket(Path socket) throws IOException {
        Files.setPosixFilePermissions(socket.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
    }

    /** Removes the user if {@link #create} made it. */
    @Override
    public void close() throws Exception {
        if (created) {
            Result r = run(List.of("userdel", name));
            if (r.exit() != 0) {
                throw new IllegalStateException("userdel " + name + ": " + r.output());
            }
        }
    }

    private record Result(int exit, String output) {}

    private static Result run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(cmd + " did not finish");
        }
        return new Result(p.exitValue(), out);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path d = to.resolve(from.relativize(dir).toString());
                Files.createDirectories(d);
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path t = Files.isDirectory(from)
                        ? to.resolve(from.relativize(file).toString())
                        : to;
                Files.copy(file, t);
                Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rw-r--r--"));
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
