package dev.custody.tuf;

/** The version found is lower than the trusted one (or, for root, not the next one). */
public final class RollbackException extends TufException {
    private final int trustedVersion;
    private final int foundVersion;

    public RollbackException(String role, int trustedVersion, int foundVersion) {
        super(
                ErrorCode.METADATA_ROLLBACK,
                role,
                prefix(role) + "version " + foundVersion + " is below the trusted version " + trustedVersion);
        this.trustedVersion = trustedVersion;
        this.foundVersion = foundVersion;
    }

    public RollbackException(String role, int trustedVersion, int foundVersion, String message) {
        super(ErrorCode.METADATA_ROLLBACK, role, prefix(role) + message);
        this.trustedVersion = trustedVersion;
        this.foundVersion = foundVersion;
    }

    public int trustedVersion() {
        return trustedVersion;
    }

    public int foundVersion() {
        return foundVersion;
    }
}
