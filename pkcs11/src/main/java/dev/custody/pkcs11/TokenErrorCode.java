package dev.custody.pkcs11;

/**
 * Stable error codes of the token layer. The names are the DESIGN.md protocol names, so the daemon
 * maps a token failure to its wire error by name; the numbers never change once released.
 */
public enum TokenErrorCode {
    TOKEN_ABSENT(1101, "insert the token (or check the reader / USB connection) and try again"),
    TOKEN_NOT_FOUND(
            1102, "check the token label, serial or PKCS#11 URI; `custody token list` shows the tokens present"),
    PIN_REQUIRED(1103, "unlock the token first (`custody token unlock`) or configure a PIN source"),
    PIN_INCORRECT(1104, "check the PIN; it was NOT retried automatically; tokens lock after a few wrong tries"),
    PIN_LOCKED(1105, "the user PIN is locked; a security officer must reset it with the SO PIN"),
    KEY_NOT_FOUND(1106, "check the key ID; `custody key list` shows the keys on each token"),
    UNSUPPORTED(
            1107,
            "use a backend or token that supports this operation (the default ipkcs11wrapper backend supports all)"),
    MODULE_ERROR(1108, "check the PKCS#11 module path and that the library loads (ldd), and the token's own logs"),
    TOKEN_ERROR(1109, "the token refused the operation; see the CKR name for the reason"),
    BAD_INPUT(1110, "fix the argument named in the message");

    private final int number;
    private final String action;

    TokenErrorCode(int number, String action) {
        this.number = number;
        this.action = action;
    }

    public int number() {
        return number;
    }

    /** What the caller should do next, in words. */
    public String action() {
        return action;
    }
}
