package dev.custody.pkcs11;

/**
 * C_Login said the PIN is wrong. The layer never retries it; the token's remaining-tries flags,
 * read right after the failure, are carried so the caller can warn before the token locks.
 */
public final class PinIncorrectException extends TokenException {
    private static final long serialVersionUID = 1L;
    private final String token;
    private final boolean countLow;
    private final boolean finalTry;

    public PinIncorrectException(String token, long ckr, String ckrName, boolean countLow, boolean finalTry) {
        super(
                TokenErrorCode.PIN_INCORRECT,
                "wrong PIN for token " + token
                        + (finalTry ? "; ONE try left before the PIN locks" : countLow ? "; few tries left" : ""),
                ckr,
                ckrName,
                null);
        this.token = token;
        this.countLow = countLow;
        this.finalTry = finalTry;
    }

    public String token() {
        return token;
    }

    /** CKF_USER_PIN_COUNT_LOW after the failed attempt. */
    public boolean countLow() {
        return countLow;
    }

    /** CKF_USER_PIN_FINAL_TRY after the failed attempt. */
    public boolean finalTry() {
        return finalTry;
    }
}
