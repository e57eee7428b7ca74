package dev.custody.protocol;

/** The configured token is not present. Insert it; the daemon picks it up without a restart. */
public final class TokenAbsentException extends SingleFieldException {
    private static final long serialVersionUID = 1L;

    public TokenAbsentException(String token, String message) {
        super(ErrorCode.TOKEN_ABSENT, message, "token", token);
    }

    public String token() {
        return fieldValue();
    }
}
