package dev.custody.tuf.ceremony;

import dev.custody.tuf.ErrorCode;
import dev.custody.tuf.TufException;

/**
 * The bundle's base root is not the signer's trusted root, nor reached from it by the root chain the bundle
 * carries: same version with other contents (a fork), or a newer version without a verifiable chain.
 */
public final class BaseMismatchException extends TufException {
    private final int trustedVersion;
    private final int baseVersion;

    public BaseMismatchException(String role, int trustedVersion, int baseVersion, String message) {
        super(
                ErrorCode.CEREMONY_BASE_MISMATCH,
                role,
                "ceremony bundle base " + role + " version " + baseVersion + " does not follow from trusted version "
                        + trustedVersion + ": " + message);
        this.trustedVersion = trustedVersion;
        this.baseVersion = baseVersion;
    }

    public int trustedVersion() {
        return trustedVersion;
    }

    public int baseVersion() {
        return baseVersion;
    }
}
