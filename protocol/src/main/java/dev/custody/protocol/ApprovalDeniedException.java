package dev.custody.protocol;

import java.util.Optional;

/** A custodian denied the approval, or it timed out (the message says which). */
public final class ApprovalDeniedException extends SingleFieldException {
    private static final long serialVersionUID = 1L;

    public ApprovalDeniedException(String approvalId, String message) {
        super(ErrorCode.APPROVAL_DENIED, message, "approvalId", approvalId);
    }

    public Optional<String> approvalId() {
        return optionalFieldValue();
    }
}
