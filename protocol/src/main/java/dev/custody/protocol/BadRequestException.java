package dev.custody.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/** The request was not valid JSON-RPC 2.0 or its params did not fit the method. */
public final class BadRequestException extends CustodyException {
    private static final long serialVersionUID = 1L;
    private final String field;

    /** @param field the offending member, as a path like {@code params.gun}; null if none applies */
    public BadRequestException(String message, String field) {
        super(ErrorCode.BAD_REQUEST, message);
        this.field = field;
    }

    public BadRequestException(String message) {
        this(message, null);
    }

    public Optional<String> field() {
        return Optional.ofNullable(field);
    }

    @Override
    protected ObjectNode fields() {
        return putIfPresent(super.fields(), "field", field);
    }
}
