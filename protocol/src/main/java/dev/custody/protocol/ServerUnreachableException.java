package dev.custody.protocol;

/** The Notary server could not be reached (DNS, connect, TLS or timeout). */
public final class ServerUnreachableException extends SingleFieldException {
    private static final long serialVersionUID = 1L;

    public ServerUnreachableException(String server, String message) {
        super(ErrorCode.SERVER_UNREACHABLE, message, "server", server);
    }

    /** The server's configured name or URL. */
    public String server() {
        return fieldValue();
    }
}
