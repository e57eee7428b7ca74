package dev.custody.tuf.ceremony;

import dev.custody.tuf.ErrorCode;
import dev.custody.tuf.TufException;

/**
 * A ceremony bundle's base version of a role does not fit the version the signer trusts: older
 * ({@link StaleBundleException}) or not reached from it ({@link BaseMismatchException}).
 */
public abstract sealed class BaseVersionException extends TufException
        permits StaleBundleException, BaseMismatchException {
    private final int trustedVersion;
    private final int baseVersion;

    BaseVersionException(ErrorCode code, String role, int trustedVersion, int baseVersion, String message) {
        super(code, role, message);
        this.trustedVersion = trustedVersion;
        this.baseVersion = baseVersion;
    }

    /** The version of the role the signer trusts. */
    public final int trustedVersion() {
        return trustedVersion;
    }

    /** The version of the role the bundle builds on. */
    public final int baseVersion() {
        return baseVersion;
    }
}
