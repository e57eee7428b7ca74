package dev.custody.pkcs11;

/** No private key with this CKA_ID on the token. */
public final class KeyNotFoundException extends TokenException {
    private static final long serialVersionUID = 1L;
    private final String keyIdHex;

    public KeyNotFoundException(String token, String keyIdHex) {
        super(TokenErrorCode.KEY_NOT_FOUND, "no private key with id " + keyIdHex + " on token " + token);
        this.keyIdHex = keyIdHex;
    }

    public String keyIdHex() {
        return keyIdHex;
    }
}
