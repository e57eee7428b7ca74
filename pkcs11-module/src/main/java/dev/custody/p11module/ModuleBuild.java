package dev.custody.p11module;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Compiles {@code libcustody-pkcs11.so} with gcc from the C sources on the class path
 * ({@code dev/custody/p11module/c/}, this module's {@code src/main/c}), once per source version, the way
 * test-hsm's {@code NativeBuild} builds the fault shim and the sign bench: cached in
 * {@code ${java.io.tmpdir}/custody-native-<user>/<hash>/}, where the hash covers the sources and the gcc
 * arguments, built in a temporary directory and renamed into place atomically.
 *
 * <p>{@code java -cp custody-pkcs11-module.jar dev.custody.p11module.ModuleBuild OUT} writes the module
 * to {@code OUT} ({@code scripts/install-pkcs11-module.sh} runs the same gcc command itself).
 */
public final class ModuleBuild {
    /** The module's file name. */
    public static final String LIBRARY = "libcustody-pkcs11.so";
    /** The gcc arguments after the output and before the source (see {@code custody_pkcs11.c}). */
    public static final List<String> FLAGS = List.of(
            "-shared",
            "-fPIC",
            "-fvisibility=hidden",
            "-O2",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-I/usr/include/p11-kit-1",
            "-I.");

    public static final List<String> LIBS = List.of("-lpthread", "-lcrypto");

    private static final String DIR = "/dev/custody/p11module/c/";
    private static final List<String> SOURCES = List.of("custody_pkcs11.c", "custody_json.h");
    private static Path built;

    private ModuleBuild() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: ModuleBuild OUTPUT.so");
            System.exit(2);
        }
        Path out = Path.of(args[0]).toAbsolutePath();
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        Files.copy(build(), tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        System.out.println(out);
    }

    /** The compiled module, built on first use. */
    public static synchronized Path build() throws IOException {
        if (built != null && Files.isRegularFile(built)) {
            return built;
        }
        List<byte[]> sources = new ArrayList<>();
        MessageDigest md = sha256();
        md.update(String.join("\0", command()).getBytes(StandardCharsets.UTF_8));
        for (String name : SOURCES) {
            byte[] b = resource(name);
            sources.add(b);
            md.update((name + "\0" + b.length + "\0").getBytes(StandardCharsets.UTF_8));
            md.update(b);
        }
        String user = System.getProperty("user.name", "unknown").replaceAll("[^A-Za-z0-9._-]", "_");
        Path root = privateDir(Path.of(System.getProperty("java.io.tmpdir"), "custody-native-" + user));
        Path dir = privateDir(root.resolve(HexFormat.of().formatHex(md.digest()).substring(0, 24)));
        Path target = dir.resolve(LIBRARY);
        if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            Path work = Files.createTempDirectory(dir, "build-");
            try {
                for (int i = 0; i < SOURCES.size(); i++) {
                    Files.write(work.resolve(SOURCES.get(i)), sources.get(i));
                }
                gcc(work);
                try {
                    Files.move(work.resolve(LIBRARY), target, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException e) {
                    // another JVM built the same sources first
                }
            } finally {
                deleteTree(work);
            }
        }
        built = target;
        return target;
    }

    private static List<String> command() {
        List<String> c = new ArrayList<>(List.of("gcc"));
        c.addAll(FLAGS);
        c.addAll(List.of("-o", LIBRARY, SOURCES.get(0)));
        c.addAll(LIBS);
        return c;
    }

    private static void gcc(Path work) throws IOException {
        if (!Files.isRegularFile(Path.of("/usr/include/p11-kit-1/p11-kit/pkcs11.h"))
                || !Files.isRegularFile(Path.of("/usr/include/openssl/evp.h"))) {
            throw new IOException("libp11-kit-dev and libssl-dev are needed to build " + LIBRARY
                    + " (scripts/install-deps.sh installs them)");
        }
        Process p = new ProcessBuilder(command())
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectOutput(work.resolve("gcc.log").toFile())
                .start();
        try {
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("gcc timed out building " + LIBRARY);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while building " + LIBRARY, e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("gcc failed building " + LIBRARY + ": " + String.join(" ", command()) + "\n"
                    + Files.readString(work.resolve("gcc.log")).strip());
        }
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = ModuleBuild.class.getResourceAsStream(DIR + name)) {
            if (in == null) {
                throw new IOException("C source " + DIR + name + " is not on the class path");
            }
            return in.readAllBytes();
        }
    }

    /** A directory owned by this uid and writable by it alone; refuses one someone else controls. */
    private static Path privateDir(Path dir) throws IOException {
        Set<PosixFilePermission> owner = PosixFilePermissions.fromString("rwx------");
        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(owner));
        } catch (FileAlreadyExistsException e) {
            // checked below
        }
        Object ownerUid = Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        Object myUid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
                || !ownerUid.equals(myUid)
                || perms.contains(PosixFilePermission.GROUP_WRITE)
                || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new IOException(dir + " must be a directory owned by uid " + myUid + " and writable only by it");
        }
        return dir;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort
        }
    }
}
