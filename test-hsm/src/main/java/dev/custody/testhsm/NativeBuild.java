package dev.custody.testhsm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Compiles the harness's C programs with gcc, once per source version.
 *
 * <p>The sources travel on the classpath under {@code dev/custody/testhsm/c/} (the module's
 * {@code src/main/c}, and {@code src/test/c} for test-only programs), so modules that depend on the
 * harness jar build the same code. Results are cached in
 * {@code ${java.io.tmpdir}/custody-native-<user>/<hash>/}, where the hash covers every source byte,
 * the gcc arguments and the output kind. Building is race-safe: within a JVM one thread builds each
 * target; across JVMs each build happens in its own temporary directory and the result is renamed
 * into place atomically, so a reader never sees a half-written file.
 */
final class NativeBuild {
    /** Where Debian's libp11-kit-dev puts the PKCS#11 header. */
    static final Path PKCS11_INCLUDE = Path.of("/usr/include/p11-kit-1");

    private static final String RESOURCE_DIR = "/dev/custody/testhsm/c/";
    private static final List<String> WARNINGS = List.of("-O2", "-Wall", "-Wextra", "-Werror");
    private static final List<String> LIBS = List.of("-ldl", "-lpthread");
    private static final Map<String, Path> BUILT = new ConcurrentHashMap<>();

    enum Kind {
        SHARED_LIBRARY(List.of("-shared", "-fPIC")),
        EXECUTABLE(List.of());

        final List<String> flags;

        Kind(List<String> flags) {
            this.flags = flags;
        }
    }

    private NativeBuild() {}

    /**
     * The compiled form of {@code main} (a .c file under the resource directory), built on first use.
     *
     * @param headers further files the source includes, extracted next to it
     */
    static Path build(Kind kind, String main, String output, List<String> headers) throws IOException {
        List<String> names = new ArrayList<>();
        names.add(main);
        names.addAll(headers);
        Map<String, byte[]> sources = new LinkedHashMap<>();
        for (String name : names) {
            sources.put(name, resource(name));
        }
        List<String> args = gccArguments(kind, main, output);
        String key = hash(kind, args, sources);
        try {
            return BUILT.computeIfAbsent(key, k -> {
                try {
                    return buildOnce(k, sources, args, output);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static List<String> gccArguments(Kind kind, String main, String output) {
        List<String> args = new ArrayList<>();
        args.add("gcc");
        args.addAll(kind.flags);
        args.addAll(WARNINGS);
        args.add("-I" + PKCS11_INCLUDE);
        args.add("-I.");
        args.add("-o");
        args.add(output);
        args.add(main);
        args.addAll(LIBS);
        return args;
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = NativeBuild.class.getResourceAsStream(RESOURCE_DIR + name)) {
            if (in == null) {
                throw new IOException("C source " + RESOURCE_DIR + name + " is not on the classpath"
                        + " (custody-test-hsm packs src/main/c there; is the jar complete?)");
            }
            return in.readAllBytes();
        }
    }

    private static String hash(Kind kind, List<String> args, Map<String, byte[]> sources) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((kind + "\0" + String.join("\0", args) + "\0").getBytes(StandardCharsets.UTF_8));
            for (Map.Entry<String, byte[]> e : sources.entrySet()) {
                md.update((e.getKey() + "\0" + e.getValue().length + "\0").getBytes(StandardCharsets.UTF_8));
                md.update(e.getValue());
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 24);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    private static Path buildOnce(String key, Map<String, byte[]> sources, List<String> args, String output)
            throws IOException {
        Path dir = privateDir(cacheRoot().resolve(key));
        Path target = dir.resolve(output);
        if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            return target; // built earlier, by this or another JVM
        }
        requireToolchain();
        Path work = Files.createTempDirectory(dir, "build-");
        try {
            for (Map.Entry<String, byte[]> e : sources.entrySet()) {
                Files.write(work.resolve(e.getKey()), e.getValue());
            }
            run(work, args);
            try {
                Files.move(work.resolve(output), target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException e) {
                // another JVM won the race with identical sources; keep its file
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename within " + dir, e);
            }
            return target;
        } finally {
            deleteTree(work);
        }
    }

    /** The per-user cache root, created owner-only; refuses a directory someone else controls. */
    private static Path cacheRoot() throws IOException {
        String user = System.getProperty("user.name", "unknown").replaceAll("[^A-Za-z0-9._-]", "_");
        return privateDir(Path.of(System.getProperty("java.io.tmpdir"), "custody-native-" + user));
    }

    private static Path privateDir(Path dir) throws IOException {
        Set<PosixFilePermission> owner = PosixFilePermissions.fromString("rwx------");
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(owner));
        } catch (FileAlreadyExistsException e) {
            // checked below
        }
        PosixFileAttributes attrs = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        Object ownerUid = Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        Object myUid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (!attrs.isDirectory()
                || !ownerUid.equals(myUid)
                || attrs.permissions().contains(PosixFilePermission.GROUP_WRITE)
                || attrs.permissions().contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new IOException(dir + " must be a directory owned by uid " + myUid + " and writable only by it;"
                    + " remove it or point java.io.tmpdir elsewhere");
        }
        return dir;
    }

    private static void requireToolchain() throws IOException {
        if (!Files.isRegularFile(PKCS11_INCLUDE.resolve("p11-kit/pkcs11.h"))) {
            throw new IOException(PKCS11_INCLUDE.resolve("p11-kit/pkcs11.h")
                    + " is missing: install libp11-kit-dev (scripts/install-deps.sh does)");
        }
    }

    private static void run(Path dir, List<String> command) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("gcc.log").toFile())
                    .start();
        } catch (IOException e) {
            throw new IOException("cannot run gcc: install gcc (scripts/install-deps.sh does)", e);
        }
        try {
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("gcc timed out: " + String.join(" ", command));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running gcc", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("gcc failed (exit " + p.exitValue() + "): " + String.join(" ", command) + "\n"
                    + Files.readString(dir.resolve("gcc.log")).strip());
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort: a stale build directory only costs space
                }
            });
        } catch (IOException e) {
            // same
        }
    }
}
