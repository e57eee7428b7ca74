package dev.custody.daemon.keys;

import dev.custody.protocol.CustodyException;
import dev.custody.tuf.SigningException;

/**
 * A signer of this daemon could not sign or make a key: carries the socket error that says why
 * (TOKEN_ABSENT, PIN_REQUIRED, … as {@link TokenErrors} made it), so the repository and ceremony
 * methods answer with it as it is.
 */
public final class KeySigningException extends SigningException {
    private static final long serialVersionUID = 1L;
    private final transient CustodyException error;

    public KeySigningException(String keyId, CustodyException error) {
        super(keyId, error.getMessage(), error.getCause());
        this.error = error;
    }

    /** The socket error to answer with. */
    public CustodyException error() {
        return error;
    }
}
