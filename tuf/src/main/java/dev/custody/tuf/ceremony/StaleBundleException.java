package dev.custody.tuf.ceremony;

import dev.custody.tuf.ErrorCode;
import dev.custody.tuf.TufException;

/**
 * The bundle builds on a version of a role older than the one the signer already trusts: signing it would
 * help roll the repository back. Prepare a new bundle from the current server state.
 */
public final class StaleBundleException extends TufException {
    private final int trustedVersion;
    private final int baseVersion;

    public StaleBundleException(String role, int trustedVersion, int baseVersion) {
        super(
                ErrorCode.CEREMONY_STALE_BASE,
                role,
                "ceremony bundle builds on " + role + " version " + baseVersion + " but version " + trustedVersion
                        + " is already trusted here; prepare the bundle again");
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
