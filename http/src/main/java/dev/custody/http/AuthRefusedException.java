package dev.custody.http;

import java.io.IOException;

/** {@link TokenAuth} will not answer a challenge: nothing was sent where it should not go. */
public final class AuthRefusedException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Why. */
    public enum Reason {
        /** The realm is no http(s) URL with a host. */
        BAD_REALM,
        /** Basic credentials would go in clear text to a host other than the server's. */
        CREDENTIALS_WITHHELD,
        /** The token service answered 2xx without a usable token. */
        BAD_TOKEN
    }

    private final Reason reason;

    public AuthRefusedException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
