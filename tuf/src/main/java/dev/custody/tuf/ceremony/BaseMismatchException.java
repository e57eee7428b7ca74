package dev.custody.tuf.ceremony;

import dev.custody.tuf.ErrorCode;

/**
 * The bundle's base root is not the signer's trusted root, nor reached from it by the root chain the bundle
 * carries: same version with other contents (a fork), or a newer version without a verifiable chain.
 */
public final class BaseMismatchException extends BaseVersionException {
    public BaseMismatchException(String role, int trustedVersion, int baseVersion, String message) {
        super(
                ErrorCode.CEREMONY_BASE_MISMATCH,
                role,
                trustedVersion,
                baseVersion,
                "ceremony bundle base " + role + " version " + baseVersion + " does not follow from trusted version "
                        + trustedVersion + ": " + message);
    }
}
