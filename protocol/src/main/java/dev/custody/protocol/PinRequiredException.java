package dev.custody.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** The token is locked (no PIN in memory and no PIN source configured). */
public final class PinRequiredException extends CustodyException {
    private static final long serialVersionUID = 1L;
    private final String token;

    public PinRequiredException(String token, String message) {
        super(ErrorCode.PIN_REQUIRED, message);
        this.token = token;
    }

    /** The configured token name. */
    public String token() {
        return token;
    }

    @Override
    protected ObjectNode fields() {
        return putIfPresent(super.fields(), "token", token);
    }
}
