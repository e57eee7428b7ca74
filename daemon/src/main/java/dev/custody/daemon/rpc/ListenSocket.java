package dev.custody.daemon.rpc;

import java.io.Closeable;
import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.SocketException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.FileDescriptorCast;

/**
 * The daemon's listening Unix socket: either inherited from systemd (socket activation) or bound by
 * the daemon itself.
 *
 * <p>Binding sequence ({@link #bind}): refuse a path that exists and is not a socket → if a socket
 * file exists, connect to it: someone answers → another daemon runs, refuse; refused → stale file
 * from a crash, delete it → bind → {@code chmod} to the configured mode → {@code chgrp} to the
 * configured group. Between bind and chmod the file has the process umask's mode; custodyd.service
 * sets {@code UMask=0077}, so nobody else can connect in that window. {@link #close} removes the
 * file only if it is still the one this daemon bound.
 */
public final class ListenSocket implements Closeable {
    private static final System.Logger LOG = System.getLogger(ListenSocket.class.getName());
    /** The first file descriptor systemd passes (SD_LISTEN_FDS_START). */
    public static final int SD_LISTEN_FDS_START = 3;

    private final AFUNIXServerSocket server;
    private final Path path;
    private final Object fileKey;
    private final boolean activated;

    private ListenSocket(AFUNIXServerSocket server, Path path, Object fileKey, boolean activated) {
        this.server = server;
        this.path = path;
        this.fileKey = fileKey;
        this.activated = activated;
    }

    /**
     * Binds {@code path}, then sets its mode and (if given) group.
     *
     * @param group a group name or number; empty keeps the daemon's group
     */
    public static ListenSocket bind(Path path, Set<PosixFilePermission> mode, Optional<String> group)
            throws IOException {
        Path abs = path.toAbsolutePath();
        Path dir = abs.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(
                    dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        }
        GroupPrincipal groupPrincipal = null;
        if (group.isPresent()) {
            try {
                groupPrincipal =
                        dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group.get());
            } catch (UserPrincipalNotFoundException e) {
                throw new IOException(
                        "socket group '" + group.get() + "' does not exist: create it (systemd-sysusers"
                                + " custody.conf) or set socket.group in the config",
                        e);
            }
        }
        removeStaleSocket(abs);
        AFUNIXServerSocket server = AFUNIXServerSocket.newInstance();
        try {
            server.setDeleteOnClose(false);
            try {
                server.bind(AFUNIXSocketAddress.of(abs), 128);
            } catch (SocketException e) {
                if (Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
                    throw new FileAlreadyExistsException(
                            abs.toString(), null, "another process created the socket while custodyd was starting");
                }
                throw new IOException("cannot bind socket " + abs + ": " + e.getMessage(), e);
            }
            Files.setPosixFilePermissions(abs, mode);
            if (groupPrincipal != null
                    && !groupPrincipal.equals(
                            Files.readAttributes(abs, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                                    .group())) {
                // only when it differs: a hardened unit may forbid chown(2) altogether
                Files.setAttribute(abs, "posix:group", groupPrincipal, LinkOption.NOFOLLOW_LINKS);
            }
            Object key = Files.readAttributes(abs, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                    .fileKey();
            return new ListenSocket(server, abs, key, false);
        } catch (IOException | RuntimeException e) {
            server.close();
            Files.deleteIfExists(abs);
            throw e;
        }
    }

    private static void removeStaleSocket(Path abs) throws IOException {
        if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        BasicFileAttributes a = Files.readAttributes(abs, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.isOther()) {
            throw new FileAlreadyExistsException(
                    abs.toString(),
                    null,
                    "exists and is not a socket; custodyd will not replace it (check socket.path)");
        }
        try (AFUNIXSocket probe = AFUNIXSocket.newInstance()) {
            probe.connect(AFUNIXSocketAddress.of(abs));
            throw new FileAlreadyExistsException(
                    abs.toString(), null, "another process is listening on this socket (is custodyd already running?)");
        } catch (FileAlreadyExistsException e) {
            throw e;
        } catch (IOException refused) {
            LOG.log(
                    Level.INFO,
                    "removing stale socket " + abs + " left by an earlier run (" + refused.getMessage() + ")");
            Files.deleteIfExists(abs);
        }
    }

    /**
     * The socket systemd passed, if this process was socket-activated: {@code LISTEN_PID} is this
     * process and {@code LISTEN_FDS} is at least 1. Uses the first descriptor (fd 3).
     */
    public static Optional<ListenSocket> fromSystemd(Map<String, String> env, long ownPid) throws IOException {
        Optional<Integer> n = SocketActivation.listenFds(env, ownPid);
        if (n.isEmpty()) {
            return Optional.empty();
        }
        if (n.get() > 1) {
            LOG.log(Level.WARNING, "systemd passed " + n.get() + " sockets; custodyd serves the first (fd 3) only");
        }
        return Optional.of(inherited(SD_LISTEN_FDS_START));
    }

    /** Wraps an inherited, already listening AF_UNIX stream socket. */
    public static ListenSocket inherited(int fd) throws IOException {
        FileDescriptorCast cast = FileDescriptorCast.unsafeUsing(fd);
        if (!cast.isAvailable(AFUNIXServerSocket.class)) {
            throw new IOException("file descriptor " + fd + " from systemd is not an AF_UNIX socket (available as: "
                    + cast.availableTypes() + "); check ListenStream= in custodyd.socket");
        }
        AFUNIXServerSocket s = cast.as(AFUNIXServerSocket.class);
        s.setDeleteOnClose(false);
        return new ListenSocket(s, null, null, true);
    }

    /** Wraps a socket bound elsewhere (tests). The file is left alone on close. */
    public static ListenSocket wrap(AFUNIXServerSocket server) {
        return new ListenSocket(Objects.requireNonNull(server, "server"), null, null, false);
    }

    public AFUNIXServerSocket serverSocket() {
        return server;
    }

    /** Whether the socket came from systemd. */
    public boolean activated() {
        return activated;
    }

    /** The socket file this daemon bound, if it bound one. */
    public Optional<Path> path() {
        return Optional.ofNullable(path);
    }

    /** The listening file descriptor (for diagnostics). */
    public FileDescriptor fileDescriptor() throws IOException {
        return server.getFileDescriptor();
    }

    @Override
    public void close() throws IOException {
        try {
            server.close();
        } finally {
            if (path != null && fileKey != null) {
                try {
                    Object now = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                            .fileKey();
                    if (fileKey.equals(now)) {
                        Files.deleteIfExists(path);
                    }
                } catch (IOException gone) {
                    // already removed, nothing to clean up
                }
            }
        }
    }
}
