package dev.custody.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** The Notary server could not be reached (DNS, connect, TLS or timeout). */
public final class ServerUnreachableException extends CustodyException {
    private static final long serialVersionUID = 1L;
    private final String server;

    public ServerUnreachableException(String server, String message) {
        super(ErrorCode.SERVER_UNREACHABLE, message);
        this.server = server;
    }

    /** The server's configured name or URL. */
    public String server() {
        return server;
    }

    @Override
    protected ObjectNode fields() {
        return putIfPresent(super.fields(), "server", server);
    }
}
