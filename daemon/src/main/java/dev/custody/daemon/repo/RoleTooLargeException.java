package dev.custody.daemon.repo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.ErrorCode;

/**
 * A publish would make a role larger than custodyd or notary's clients read back ({@link RoleSizes}):
 * refused before anything is signed or sent (BAD_REQUEST; the staged changes stay staged).
 */
final class RoleTooLargeException extends CustodyException {
    private static final long serialVersionUID = 1L;
    private final String role;
    private final long bytes;
    private final long limit;

    RoleTooLargeException(String role, long bytes, long limit, String message) {
        super(ErrorCode.BAD_REQUEST, message);
        this.role = role;
        this.bytes = bytes;
        this.limit = limit;
    }

    String role() {
        return role;
    }

    long bytes() {
        return bytes;
    }

    long limit() {
        return limit;
    }

    @Override
    protected ObjectNode fields() {
        return super.fields()
                .put("field", "role:" + role)
                .put("role", role)
                .put("bytes", bytes)
                .put("limit", limit);
    }
}
