package dev.custody.pkcs11;

/** The user PIN is locked (CKR_PIN_LOCKED or CKF_USER_PIN_LOCKED). */
public final class PinLockedException extends TokenException {
    private static final long serialVersionUID = 1L;

    public PinLockedException(String token, Long ckr, String ckrName) {
        super(TokenErrorCode.PIN_LOCKED, "the user PIN of token " + token + " is locked", ckr, ckrName, null);
    }
}
