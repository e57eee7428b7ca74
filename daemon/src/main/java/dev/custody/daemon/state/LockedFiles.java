package dev.custody.daemon.state;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** custodyd's own files that one process holds at a time: the state directory's lock, the audit log. */
public final class LockedFiles {
    private LockedFiles() {}

    /** Opens {@code file} to read and write, creating it with mode 0600; no symbolic link is followed. */
    public static FileChannel openPrivate(Path file) throws IOException {
        return FileChannel.open(
                file,
                Set.of(
                        StandardOpenOption.CREATE,
                        StandardOpenOption.READ,
                        StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(AtomicFiles.PRIVATE_FILE));
    }

    /** An exclusive lock on {@code ch}'s file, or null when this or another process holds one. */
    public static FileLock tryLock(FileChannel ch) throws IOException {
        try {
            return ch.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }
}
