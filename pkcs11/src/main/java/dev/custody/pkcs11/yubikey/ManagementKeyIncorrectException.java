package dev.custody.pkcs11.yubikey;

import dev.custody.pkcs11.TokenErrorCode;
import dev.custody.pkcs11.TokenException;

/**
 * The YubiKey refused the PIV management key (ykcs11's C_Login as security officer returned
 * CKR_PIN_INCORRECT after the card failed the 3DES challenge-response). Not retried. Carries the
 * PIN_INCORRECT code: the management key is the token's security-officer credential. A YubiKey has no
 * retry counter for it, so nothing locks.
 */
public final class ManagementKeyIncorrectException extends TokenException {
    private static final long serialVersionUID = 1L;
    private final String serial;

    public ManagementKeyIncorrectException(String serial, long ckr, String ckrName) {
        super(
                TokenErrorCode.PIN_INCORRECT,
                "the YubiKey with serial " + serial + " refused the PIV management key"
                        + " (3DES challenge-response failed); check the management key source: it must hold this YubiKey's"
                        + " key as 48 hex digits",
                ckr,
                ckrName,
                null);
        this.serial = serial;
    }

    /** The YubiKey's serial number. */
    public String serial() {
        return serial;
    }
}
