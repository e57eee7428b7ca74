package dev.custody.tuf;

/**
 * A {@code Signer} could not sign; the cause is the token's (or key's) own exception. A signer may throw
 * a subclass that says more (custodyd's signers carry the error they answer on the socket).
 */
public class SigningException extends TufException {
    private final String keyId;

    public SigningException(String keyId, String message, Throwable cause) {
        super(ErrorCode.SIGNING_FAILED, null, "signing with key " + keyId + " failed: " + message, cause);
        this.keyId = keyId;
    }

    public String keyId() {
        return keyId;
    }
}
