package dev.custody.daemon.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Crash-safe file writes: a reader sees either the old content or the new, never a mix, and a
 * write that returned survives a crash or power loss.
 *
 * <p>Sequence of {@link #write(Path, byte[])}: create {@code .NAME.RANDOM.tmp} in the target's
 * directory (same file system, so the rename is atomic) with mode 0600 → write all bytes →
 * {@code fsync} the file → {@code rename(2)} over the target → {@code fsync} the directory so the
 * rename itself is durable. A crash before the rename leaves only a temp file, which
 * {@link #removeStaleTemps(Path)} deletes at the next start.
 */
public final class AtomicFiles {
    /** Mode of files written by the daemon unless a caller says otherwise. */
    public static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");
    /** Mode of directories created by the daemon. */
    public static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");

    private static final Pattern TEMP_NAME = Pattern.compile("^\\..+\\.[0-9a-f]{16}\\.tmp$");
    private static final SecureRandom RANDOM = new SecureRandom();

    private AtomicFiles() {}

    /** Atomically replaces (or creates) {@code target} with {@code data}, mode 0600. */
    public static void write(Path target, byte[] data) throws IOException {
        write(target, data, PRIVATE_FILE);
    }

    /** Atomically replaces (or creates) {@code target} with {@code data} and the given mode. */
    public static void write(Path target, byte[] data, Set<PosixFilePermission> mode) throws IOException {
        Objects.requireNonNull(data, "data");
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        byte[] rnd = new byte[8];
        RANDOM.nextBytes(rnd);
        Path tmp = dir.resolve("." + abs.getFileName() + "." + HexFormat.of().formatHex(rnd) + ".tmp");
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(
                    tmp,
                    Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PRIVATE_FILE))) {
                ByteBuffer buf = ByteBuffer.wrap(data);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                if (!mode.equals(PRIVATE_FILE)) {
                    Files.setPosixFilePermissions(tmp, mode);
                }
                ch.force(true);
            }
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            fsyncDirectory(dir);
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Makes a directory's entries (creations, renames, deletions) durable. */
    public static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /**
     * Creates {@code dir} and missing parents with mode 0700 and makes each creation durable. An
     * existing directory is left as it is.
     */
    public static void createDirectories(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath();
        if (Files.isDirectory(abs)) {
            return;
        }
        Path parent = abs.getParent();
        if (parent != null) {
            createDirectories(parent);
        }
        try {
            Files.createDirectory(abs, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(abs)) {
                throw e;
            }
            return;
        }
        if (parent != null) {
            fsyncDirectory(parent);
        }
    }

    /** Durably deletes {@code file} if it exists. */
    public static boolean delete(Path file) throws IOException {
        boolean deleted = Files.deleteIfExists(file);
        if (deleted) {
            fsyncDirectory(file.toAbsolutePath().getParent());
        }
        return deleted;
    }

    /** Whether {@code name} is a temp file left by {@link #write}. */
    public static boolean isTempName(String name) {
        return TEMP_NAME.matcher(name).matches();
    }

    /** Deletes temp files left in {@code dir} by writes interrupted before their rename. */
    public static int removeStaleTemps(Path dir) throws IOException {
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (isTempName(p.getFileName().toString()) && Files.isRegularFile(p)) {
                    Files.delete(p);
                    n++;
                }
            }
        }
        if (n > 0) {
            fsyncDirectory(dir);
        }
        return n;
    }
}
