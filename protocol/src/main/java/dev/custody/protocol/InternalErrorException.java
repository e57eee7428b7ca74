package dev.custody.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * An unexpected failure inside the daemon. The message carries an incident id that is also in the
 * daemon's log next to the stack trace; nothing internal is sent to the caller.
 */
public final class InternalErrorException extends CustodyException {
    private static final long serialVersionUID = 1L;
    private final String incident;

    public InternalErrorException(String message, String incident) {
        super(ErrorCode.INTERNAL, message);
        this.incident = incident;
    }

    public Optional<String> incident() {
        return Optional.ofNullable(incident);
    }

    @Override
    protected ObjectNode fields() {
        return putIfPresent(super.fields(), "incident", incident);
    }
}
