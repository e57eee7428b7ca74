package dev.custody.tuf.ceremony;

import dev.custody.tuf.ErrorCode;
import dev.custody.tuf.TufException;

/**
 * The bundle does not agree with itself: a recorded hash does not match the bytes it describes, the new
 * metadata changes more (or other) than the operation allows, the summary does not describe the new
 * metadata, or a signature in it does not verify. Nothing in such a bundle is signed.
 */
public final class BundleTamperedException extends TufException {
    /** What disagreed. */
    public enum Kind {
        /** {@code base.*.sha256} or {@code length} does not match {@code base.*.file}. */
        BASE_HASH,
        /** {@code new.*.sha256} does not match the canonical {@code new.*.signed}. */
        NEW_HASH,
        /** The new metadata is not what the operation makes from the base (version, keys, roles, content). */
        PLAN,
        /** The summary is not the one the base and new metadata give. */
        SUMMARY,
        /** A collected signature does not verify with any key it may be made by. */
        SIGNATURE
    }

    private final Kind kind;
    private final String role;

    public BundleTamperedException(Kind kind, String role, String message) {
        super(
                ErrorCode.CEREMONY_BUNDLE_TAMPERED,
                role,
                "ceremony bundle refused ("
                        + kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                        + (role == null ? "" : ", " + role) + "): " + message);
        this.kind = kind;
        this.role = role;
    }

    public Kind kind() {
        return kind;
    }

    /** The role concerned, or null for the bundle as a whole (summary). */
    public String roleName() {
        return role;
    }
}
