package dev.custody.daemon.state;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The daemon's state directory and its layout. Holding an open {@code StateDirectory} means holding
 * an exclusive lock on {@code custodyd.lock}: two daemons never share one state directory.
 *
 * <pre>
 * STATE/custodyd.lock   lock file (holds the owner's pid, for people)
 * STATE/journal/        {@link Journal} of multi-step operations
 * STATE/trust/          trusted metadata per GUN (repository operations)
 * STATE/staged/         staged changes per GUN, applied at publish
 * STATE/audit.log       default audit log
 * </pre>
 */
public final class StateDirectory implements Closeable {
    private final Path root;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private StateDirectory(Path root, FileChannel lockChannel, FileLock lock) {
        this.root = root;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Creates the directory (mode 0700) if missing, refuses one that others may write to, refuses it
     * unless it and everything in it is custodyd's own ({@link OwnedFiles}: owner, no group/other
     * write, no symbolic link), and takes the lock.
     *
     * @throws UntrustedFileException naming the first path that is not custodyd's own
     */
    public static StateDirectory open(Path root) throws IOException {
        Path abs = root.toAbsolutePath().normalize();
        AtomicFiles.createDirectories(abs);
        if (Files.isSymbolicLink(abs)) {
            OwnedFiles.requireOwnIfPresent(abs); // names the link
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(abs, LinkOption.NOFOLLOW_LINKS);
        if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new IOException("state directory " + abs + " is writable by group or others (mode "
                    + PosixFilePermissions.toString(perms) + "): run `chmod 0700 " + abs + "`");
        }
        OwnedFiles.requireOwnTree(abs);
        Path lockFile = abs.resolve("custodyd.lock");
        FileChannel ch = LockedFiles.openPrivate(lockFile);
        FileLock lock = LockedFiles.tryLock(ch);
        if (lock == null) {
            String owner = new String(Files.readAllBytes(lockFile), StandardCharsets.US_ASCII).trim();
            ch.close();
            throw new IOException("state directory " + abs + " is in use by another custodyd"
                    + (owner.isEmpty() ? "" : " (pid " + owner + ")"));
        }
        ch.truncate(0);
        ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
        ch.force(true);
        StateDirectory sd = new StateDirectory(abs, ch, lock);
        AtomicFiles.removeStaleTemps(abs);
        for (Path p : new Path[] {sd.journalDir(), sd.trustDir(), sd.stagedDir()}) {
            AtomicFiles.createDirectories(p);
        }
        return sd;
    }

    public Path root() {
        return root;
    }

    public Path journalDir() {
        return root.resolve("journal");
    }

    public Path trustDir() {
        return root.resolve("trust");
    }

    public Path stagedDir() {
        return root.resolve("staged");
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            lockChannel.close();
        }
    }
}
