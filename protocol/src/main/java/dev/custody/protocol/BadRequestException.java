package dev.custody.protocol;

import java.util.Optional;

/** The request was not valid JSON-RPC 2.0 or its params did not fit the method. */
public final class BadRequestException extends SingleFieldException {
    private static final long serialVersionUID = 1L;

    /** @param field the offending member, as a path like {@code params.gun}; null if none applies */
    public BadRequestException(String message, String field) {
        super(ErrorCode.BAD_REQUEST, message, "field", field);
    }

    public BadRequestException(String message) {
        this(message, null);
    }

    public Optional<String> field() {
        return optionalFieldValue();
    }
}
