package dev.custody.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** The token locked its user PIN after too many wrong tries; it needs the SO/PUK to reset. */
public final class PinLockedException extends CustodyException {
    private static final long serialVersionUID = 1L;
    private final String token;

    public PinLockedException(String token, String message) {
        super(ErrorCode.PIN_LOCKED, message);
        this.token = token;
    }

    public String token() {
        return token;
    }

    @Override
    protected ObjectNode fields() {
        return putIfPresent(super.fields(), "token", token);
    }
}
