package dev.custody.protocol;

/** The token is locked (no PIN in memory and no PIN source configured). */
public final class PinRequiredException extends SingleFieldException {
    private static final long serialVersionUID = 1L;

    public PinRequiredException(String token, String message) {
        super(ErrorCode.PIN_REQUIRED, message, "token", token);
    }

    /** The configured token name. */
    public String token() {
        return fieldValue();
    }
}
