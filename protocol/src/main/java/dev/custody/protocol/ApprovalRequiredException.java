package dev.custody.protocol;

import java.util.Optional;

/** The operation needs a custodian's approval ({@code custody approve ID}). */
public final class ApprovalRequiredException extends SingleFieldException {
    private static final long serialVersionUID = 1L;

    public ApprovalRequiredException(String approvalId, String message) {
        super(ErrorCode.APPROVAL_REQUIRED, message, "approvalId", approvalId);
    }

    /** The pending approval's id, if one was created. */
    public Optional<String> approvalId() {
        return optionalFieldValue();
    }
}
