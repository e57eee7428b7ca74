package dev.custody.tuf;

/**
 * A new root is not signed by a threshold of the trusted root's root keys (or of its own), so the
 * chain of trust from the trusted root does not reach it.
 */
public final class RootRotationException extends TufException {
    private final int trustedVersion;
    private final int newVersion;
    private final int needed;
    private final int found;
    private final boolean byTrustedKeys;

    public RootRotationException(int trustedVersion, int newVersion, int needed, int found, boolean byTrustedKeys) {
        super(
                ErrorCode.ROOT_ROTATION_INVALID,
                "root",
                "root: version " + newVersion + " has valid signatures from " + found + " of the "
                        + (byTrustedKeys ? "trusted version " + trustedVersion + "'s" : "new root's own")
                        + " root keys, threshold is " + needed);
        this.trustedVersion = trustedVersion;
        this.newVersion = newVersion;
        this.needed = needed;
        this.found = found;
        this.byTrustedKeys = byTrustedKeys;
    }

    public int trustedVersion() {
        return trustedVersion;
    }

    public int newVersion() {
        return newVersion;
    }

    public int needed() {
        return needed;
    }

    public int found() {
        return found;
    }

    /** True when the trusted root's keys are short; false when the new root's own keys are. */
    public boolean byTrustedKeys() {
        return byTrustedKeys;
    }
}
