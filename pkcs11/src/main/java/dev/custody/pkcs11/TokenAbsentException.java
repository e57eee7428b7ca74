package dev.custody.pkcs11;

/** The token is not in its reader / slot right now. Calls fail fast until it is back. */
public final class TokenAbsentException extends TokenException {
    private static final long serialVersionUID = 1L;
    private final String token;

    public TokenAbsentException(String token, Long ckr, String ckrName) {
        super(TokenErrorCode.TOKEN_ABSENT, "token " + token + " is not present", ckr, ckrName, null);
        this.token = token;
    }

    public String token() {
        return token;
    }
}
