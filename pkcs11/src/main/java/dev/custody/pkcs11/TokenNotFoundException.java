package dev.custody.pkcs11;

/** No token (or more than one) matches the selector. */
public final class TokenNotFoundException extends TokenException {
    private static final long serialVersionUID = 1L;

    public TokenNotFoundException(String message) {
        super(TokenErrorCode.TOKEN_NOT_FOUND, message);
    }
}
