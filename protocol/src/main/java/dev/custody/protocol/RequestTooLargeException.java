package dev.custody.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** A request line was longer than the daemon's limit; the daemon closed the connection. */
public final class RequestTooLargeException extends CustodyException {
    private static final long serialVersionUID = 1L;
    private final long limitBytes;

    public RequestTooLargeException(String message, long limitBytes) {
        super(ErrorCode.REQUEST_TOO_LARGE, message);
        this.limitBytes = limitBytes;
    }

    /** The limit in bytes, or -1 if the daemon did not say. */
    public long limitBytes() {
        return limitBytes;
    }

    @Override
    protected ObjectNode fields() {
        return super.fields().put("limitBytes", limitBytes);
    }
}
