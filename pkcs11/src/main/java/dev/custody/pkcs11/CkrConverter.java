package dev.custody.pkcs11;

/**
 * The one place where a PKCS#11 return value becomes a {@link TokenException}. Both backends call it,
 * so a CKR means the same thing whichever wrapper saw it.
 */
public final class CkrConverter {
    // PKCS#11 v2.40 / v3.0 return values (numbers from the standard).
    public static final long CKR_ATTRIBUTE_SENSITIVE = 0x11;
    public static final long CKR_DEVICE_ERROR = 0x30;
    public static final long CKR_DEVICE_REMOVED = 0x32;
    public static final long CKR_KEY_HANDLE_INVALID = 0x60;
    public static final long CKR_MECHANISM_INVALID = 0x70;
    public static final long CKR_OBJECT_HANDLE_INVALID = 0x82;
    public static final long CKR_PIN_INCORRECT = 0xA0;
    public static final long CKR_PIN_INVALID = 0xA1;
    public static final long CKR_PIN_LEN_RANGE = 0xA2;
    public static final long CKR_PIN_EXPIRED = 0xA3;
    public static final long CKR_PIN_LOCKED = 0xA4;
    public static final long CKR_SESSION_CLOSED = 0xB0;
    public static final long CKR_SESSION_HANDLE_INVALID = 0xB3;
    public static final long CKR_TOKEN_NOT_PRESENT = 0xE0;
    public static final long CKR_TOKEN_NOT_RECOGNIZED = 0xE1;
    public static final long CKR_USER_ALREADY_LOGGED_IN = 0x100;
    public static final long CKR_USER_NOT_LOGGED_IN = 0x101;
    public static final long CKR_CRYPTOKI_ALREADY_INITIALIZED = 0x191;

    private CkrConverter() {}

    /** True for the return values that mean "the token went away or was re-inserted". */
    public static boolean isRemoval(long ckr) {
        return ckr == CKR_DEVICE_REMOVED
                || ckr == CKR_TOKEN_NOT_PRESENT
                || ckr == CKR_SESSION_HANDLE_INVALID
                || ckr == CKR_SESSION_CLOSED
                || ckr == CKR_TOKEN_NOT_RECOGNIZED;
    }

    /**
     * Converts a failed call.
     *
     * @param function the C_ function that failed, e.g. {@code C_Sign}
     * @param token    the token's display name
     * @param ckr      the return value
     * @param ckrName  its name (from the wrapper's table), or null
     */
    public static TokenException convert(String function, String token, long ckr, String ckrName, Throwable cause) {
        String name = ckrName != null ? ckrName : "CKR_" + Long.toHexString(ckr);
        if (isRemoval(ckr)) {
            return new TokenAbsentException(token, ckr, name);
        }
        if (ckr == CKR_PIN_LOCKED) {
            return new PinLockedException(token, ckr, name);
        }
        if (ckr == CKR_USER_NOT_LOGGED_IN) {
            return new TokenException(
                    TokenErrorCode.PIN_REQUIRED, function + " on token " + token + " needs a login", ckr, name, cause);
        }
        if (ckr == CKR_PIN_INCORRECT || ckr == CKR_PIN_INVALID || ckr == CKR_PIN_LEN_RANGE || ckr == CKR_PIN_EXPIRED) {
            return new PinIncorrectException(token, ckr, name, false, false);
        }
        if (ckr == CKR_MECHANISM_INVALID) {
            return new TokenException(
                    TokenErrorCode.UNSUPPORTED,
                    function + ": token " + token + " does not offer this mechanism",
                    ckr,
                    name,
                    cause);
        }
        return new TokenException(TokenErrorCode.TOKEN_ERROR, function + " failed on token " + token, ckr, name, cause);
    }
}
