package dev.custody.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/** Metadata failed verification; local trusted state was left untouched. */
public final class MetadataInvalidException extends CustodyException {
    private static final long serialVersionUID = 1L;
    private final String role;

    public MetadataInvalidException(String role, String message) {
        super(ErrorCode.METADATA_INVALID, message);
        this.role = role;
    }

    public Optional<String> role() {
        return Optional.ofNullable(role);
    }

    @Override
    protected ObjectNode fields() {
        return putIfPresent(super.fields(), "role", role);
    }
}
