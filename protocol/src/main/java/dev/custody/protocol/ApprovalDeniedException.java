package dev.custody.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/** A custodian denied the approval, or it timed out (the message says which). */
public final class ApprovalDeniedException extends CustodyException {
    private static final long serialVersionUID = 1L;
    private final String approvalId;

    public ApprovalDeniedException(String approvalId, String message) {
        super(ErrorCode.APPROVAL_DENIED, message);
        this.approvalId = approvalId;
    }

    public Optional<String> approvalId() {
        return Optional.ofNullable(approvalId);
    }

    @Override
    protected ObjectNode fields() {
        return putIfPresent(super.fields(), "approvalId", approvalId);
    }
}
