package dev.custody.protocol;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The client could not reach custodyd's socket at all. The message says what to check (daemon not
 * running, wrong path, no permission to the socket's group).
 */
public final class DaemonUnavailableException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Why the socket could not be reached. */
    public enum Reason {
        /** No socket file at the path. */
        NO_SOCKET,
        /** The socket exists but nobody accepts connections on it. */
        NOT_RUNNING,
        /** The caller may not connect to it (not in the socket's group). */
        PERMISSION_DENIED,
        /** Anything else. */
        OTHER
    }

    private final transient Path socket;
    private final Reason reason;

    public DaemonUnavailableException(Path socket, String message, Throwable cause) {
        this(socket, Reason.OTHER, message, cause);
    }

    public DaemonUnavailableException(Path socket, Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.socket = socket;
        this.reason = reason == null ? Reason.OTHER : reason;
    }

    public Reason reason() {
        return reason;
    }

    public Path socket() {
        return socket;
    }
}
