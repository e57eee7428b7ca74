package dev.custody.protocol;

/** The token locked its user PIN after too many wrong tries; it needs the SO/PUK to reset. */
public final class PinLockedException extends SingleFieldException {
    private static final long serialVersionUID = 1L;

    public PinLockedException(String token, String message) {
        super(ErrorCode.PIN_LOCKED, message, "token", token);
    }

    public String token() {
        return fieldValue();
    }
}
