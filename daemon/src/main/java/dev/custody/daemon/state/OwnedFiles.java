package dev.custody.daemon.state;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The files custodyd trusts are its own: each is owned by the daemon's uid, is not writable by group
 * or others, and is not a symbolic link (attributes are read with {@code NOFOLLOW_LINKS}, the audit log
 * is opened with {@code O_NOFOLLOW}). A file that is not is refused with {@link UntrustedFileException}
 * naming it, and custodyd does not start: another local user could otherwise plant or rewrite the
 * state it signs from, or point the audit log elsewhere.
 *
 * <p>Sockets are skipped (custodyd binds its own socket with the configured group mode; it trusts no
 * data in it).
 */
public final class OwnedFiles {
    private OwnedFiles() {}

    /** Checks {@code root} and every file and directory below it; no link is followed. */
    public static void requireOwnTree(Path root) throws IOException {
        long self = selfUid();
        requireOwn(root, self);
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                requireOwn(dir, self);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                requireOwn(file, self);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // removed while we looked (a stale temp file)
                }
                throw new UntrustedFileException(file, "cannot be read (" + e.getMessage() + ")");
            }
        });
    }

    /** Checks {@code path} itself if it exists (a missing file is created by custodyd, so its own). */
    public static void requireOwnIfPresent(Path path) throws IOException {
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            requireOwn(path, selfUid());
        }
    }

    private static void requireOwn(Path path, long self) throws IOException {
        PosixFileAttributes a;
        long uid;
        try {
            a = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            uid = ((Number) Files.getAttribute(path, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
        } catch (NoSuchFileException e) {
            return;
        }
        if (a.isSymbolicLink()) {
            throw new UntrustedFileException(
                    path,
                    "is a symbolic link (to " + Files.readSymbolicLink(path)
                            + "): custodyd follows no links for its state and audit log; replace it by the file itself");
        }
        if (a.isOther()) {
            return; // a socket or fifo: no state is read from it
        }
        if (uid != self) {
            throw new UntrustedFileException(
                    path,
                    "is owned by uid " + uid + ", not by custodyd's uid " + self + ": run `chown " + self + " " + path
                            + "` if its content is trusted, else move it aside");
        }
        Set<PosixFilePermission> perms = a.permissions();
        if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new UntrustedFileException(
                    path,
                    "is writable by group or others (mode "
                            + PosixFilePermissions.toString(perms) + "): run `chmod "
                            + (a.isDirectory() ? "0700" : "go-w") + " "
                            + path + "`");
        }
    }

    private static long selfUid() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalStateException("cannot read this process's uid from /proc/self", e);
        }
    }
}
