package dev.custody.protocol;

import java.util.Optional;

/**
 * An unexpected failure inside the daemon. The message carries an incident id that is also in the
 * daemon's log next to the stack trace; nothing internal is sent to the caller.
 */
public final class InternalErrorException extends SingleFieldException {
    private static final long serialVersionUID = 1L;

    public InternalErrorException(String message, String incident) {
        super(ErrorCode.INTERNAL, message, "incident", incident);
    }

    public Optional<String> incident() {
        return optionalFieldValue();
    }
}
