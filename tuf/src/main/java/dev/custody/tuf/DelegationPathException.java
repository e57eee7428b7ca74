package dev.custody.tuf;

import java.util.List;

/** A delegated role lists a target outside the paths its parent delegated to it. */
public final class DelegationPathException extends TufException {
    private final String target;
    private final List<String> allowedPaths;

    public DelegationPathException(String role, String target, List<String> allowedPaths) {
        super(
                ErrorCode.DELEGATION_PATH_VIOLATION,
                role,
                prefix(role) + "target '" + target + "' is outside the delegated paths " + allowedPaths);
        this.target = target;
        this.allowedPaths = List.copyOf(allowedPaths);
    }

    public String target() {
        return target;
    }

    /** The effective paths (narrowed along the delegation chain). */
    public List<String> allowedPaths() {
        return allowedPaths;
    }
}
