package dev.custody.tuf;

import java.util.Objects;
import java.util.Optional;

/**
 * Base of every failure of the TUF layer. Each failure has its own subclass named after what
 * happened, carrying the failing values as typed fields; {@link #code()} gives its stable code.
 */
public class TufException extends Exception {
    private final ErrorCode code;
    private final String role;

    public TufException(ErrorCode code, String role, String message) {
        this(code, role, message, null);
    }

    public TufException(ErrorCode code, String role, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
        this.role = role;
    }

    public ErrorCode code() {
        return code;
    }

    /** The role whose metadata failed, if the failure is about one role. */
    public Optional<String> role() {
        return Optional.ofNullable(role);
    }

    static String prefix(String role) {
        return role == null ? "" : role + ": ";
    }
}
