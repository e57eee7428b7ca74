package dev.custody.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/** The operation needs a custodian's approval ({@code custody approve ID}). */
public final class ApprovalRequiredException extends CustodyException {
    private static final long serialVersionUID = 1L;
    private final String approvalId;

    public ApprovalRequiredException(String approvalId, String message) {
        super(ErrorCode.APPROVAL_REQUIRED, message);
        this.approvalId = approvalId;
    }

    /** The pending approval's id, if one was created. */
    public Optional<String> approvalId() {
        return Optional.ofNullable(approvalId);
    }

    @Override
    protected ObjectNode fields() {
        return putIfPresent(super.fields(), "approvalId", approvalId);
    }
}
