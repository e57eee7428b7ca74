package dev.custody.tuf.server;

import java.util.List;

/** The server did not answer: nothing listening, too slow, TLS refused, or the call was interrupted. */
public final class ServerUnreachableException extends NotaryServerException {
    private static final long serialVersionUID = 1L;

    /** Why no answer arrived. */
    public enum Reason {
        CONNECTION_REFUSED,
        CONNECT_TIMEOUT,
        RESPONSE_TIMEOUT,
        TLS_FAILURE,
        UNKNOWN_HOST,
        CONNECTION_FAILED,
        INTERRUPTED
    }

    private final Reason reason;

    public ServerUnreachableException(String request, Reason reason, String message, Throwable cause) {
        super(Code.SERVER_UNREACHABLE, request, 0, "", List.of(), message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
