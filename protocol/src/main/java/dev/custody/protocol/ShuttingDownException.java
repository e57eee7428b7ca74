package dev.custody.protocol;

/** The daemon is stopping and did not start this request. It is safe to retry after restart. */
public final class ShuttingDownException extends CustodyException {
    private static final long serialVersionUID = 1L;

    public ShuttingDownException(String message) {
        super(ErrorCode.SHUTTING_DOWN, message);
    }
}
