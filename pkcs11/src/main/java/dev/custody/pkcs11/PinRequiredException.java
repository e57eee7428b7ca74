package dev.custody.pkcs11;

/** The operation needs a login and no PIN is available from the PIN source. */
public final class PinRequiredException extends TokenException {
    private static final long serialVersionUID = 1L;

    public PinRequiredException(String token, String why) {
        super(TokenErrorCode.PIN_REQUIRED, "token " + token + " needs a PIN: " + why);
    }
}
