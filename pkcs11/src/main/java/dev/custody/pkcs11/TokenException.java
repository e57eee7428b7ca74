package dev.custody.pkcs11;

import java.util.Optional;

/**
 * Base of every token-layer failure. Carries a stable {@link TokenErrorCode}, the PKCS#11 return
 * value (CKR code and name) when the failure came from the module, and what the caller should do.
 * Messages never contain PINs or key material.
 */
public class TokenException extends Exception {
    private static final long serialVersionUID = 1L;
    private final TokenErrorCode code;
    private final Long ckr;
    private final String ckrName;

    public TokenException(TokenErrorCode code, String message) {
        this(code, message, null, null, null);
    }

    public TokenException(TokenErrorCode code, String message, Long ckr, String ckrName, Throwable cause) {
        super(compose(code, message, ckr, ckrName), cause);
        this.code = code;
        this.ckr = ckr;
        this.ckrName = ckrName;
    }

    private static String compose(TokenErrorCode code, String message, Long ckr, String ckrName) {
        StringBuilder sb = new StringBuilder(message);
        if (ckr != null) {
            sb.append(" (")
                    .append(ckrName == null ? "CKR" : ckrName)
                    .append(String.format(" 0x%08X", ckr))
                    .append(')');
        }
        sb.append(": ").append(code.action());
        return sb.toString();
    }

    public TokenErrorCode code() {
        return code;
    }

    /** The CKR value from the module, if this failure came from one. */
    public Optional<Long> ckr() {
        return Optional.ofNullable(ckr);
    }

    public Optional<String> ckrName() {
        return Optional.ofNullable(ckrName);
    }

    public String action() {
        return code.action();
    }
}
