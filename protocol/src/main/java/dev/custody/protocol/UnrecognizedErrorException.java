package dev.custody.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * An error number this client does not know (the daemon is newer). {@link #code()} is
 * {@link ErrorCode#INTERNAL}; the daemon's number and name are kept.
 */
public final class UnrecognizedErrorException extends CustodyException {
    private static final long serialVersionUID = 1L;
    private final int wireCode;
    private final String wireName;

    public UnrecognizedErrorException(int wireCode, String wireName, String message) {
        super(ErrorCode.INTERNAL, message);
        this.wireCode = wireCode;
        this.wireName = wireName;
    }

    public int wireCode() {
        return wireCode;
    }

    public Optional<String> wireName() {
        return Optional.ofNullable(wireName);
    }

    @Override
    protected ObjectNode fields() {
        return super.fields().put("wireCode", wireCode);
    }
}
