package dev.custody.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** The client started a request line and did not finish it in time. */
public final class RequestTimeoutException extends CustodyException {
    private static final long serialVersionUID = 1L;
    private final long timeoutMillis;

    public RequestTimeoutException(String message, long timeoutMillis) {
        super(ErrorCode.REQUEST_TIMEOUT, message);
        this.timeoutMillis = timeoutMillis;
    }

    public long timeoutMillis() {
        return timeoutMillis;
    }

    @Override
    protected ObjectNode fields() {
        return super.fields().put("timeoutMillis", timeoutMillis);
    }
}
