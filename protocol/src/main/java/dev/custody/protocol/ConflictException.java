package dev.custody.protocol;

import java.util.Optional;

/** The request conflicts with the current state (already initialised, changed concurrently). */
public final class ConflictException extends SingleFieldException {
    private static final long serialVersionUID = 1L;

    public ConflictException(String gun, String message) {
        super(ErrorCode.CONFLICT, message, "gun", gun);
    }

    public Optional<String> gun() {
        return optionalFieldValue();
    }
}
