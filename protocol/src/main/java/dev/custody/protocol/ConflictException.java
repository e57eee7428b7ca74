package dev.custody.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/** The request conflicts with the current state (already initialised, changed concurrently). */
public final class ConflictException extends CustodyException {
    private static final long serialVersionUID = 1L;
    private final String gun;

    public ConflictException(String gun, String message) {
        super(ErrorCode.CONFLICT, message);
        this.gun = gun;
    }

    public Optional<String> gun() {
        return Optional.ofNullable(gun);
    }

    @Override
    protected ObjectNode fields() {
        return putIfPresent(super.fields(), "gun", gun);
    }
}
