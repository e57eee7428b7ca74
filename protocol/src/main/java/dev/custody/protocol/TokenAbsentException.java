package dev.custody.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** The configured token is not present. Insert it; the daemon picks it up without a restart. */
public final class TokenAbsentException extends CustodyException {
    private static final long serialVersionUID = 1L;
    private final String token;

    public TokenAbsentException(String token, String message) {
        super(ErrorCode.TOKEN_ABSENT, message);
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
