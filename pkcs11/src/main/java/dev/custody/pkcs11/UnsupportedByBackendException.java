package dev.custody.pkcs11;

/** The backend (or the token) cannot do this operation; the message says which and why. */
public final class UnsupportedByBackendException extends TokenException {
    private static final long serialVersionUID = 1L;
    private final String backend;
    private final String operation;

    public UnsupportedByBackendException(String backend, String operation, String why) {
        super(TokenErrorCode.UNSUPPORTED, backend + " backend cannot " + operation + ": " + why);
        this.backend = backend;
        this.operation = operation;
    }

    public String backend() {
        return backend;
    }

    public String operation() {
        return operation;
    }
}
