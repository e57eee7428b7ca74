package dev.custody.tuf.ceremony;

import dev.custody.tuf.ErrorCode;

/**
 * The bundle builds on a version of a role older than the one the signer already trusts: signing it would
 * help roll the repository back. Prepare a new bundle from the current server state.
 */
public final class StaleBundleException extends BaseVersionException {
    public StaleBundleException(String role, int trustedVersion, int baseVersion) {
        super(
                ErrorCode.CEREMONY_STALE_BASE,
                role,
                trustedVersion,
                baseVersion,
                "ceremony bundle builds on " + role + " version " + baseVersion + " but version " + trustedVersion
                        + " is already trusted here; prepare the bundle again");
    }
}
