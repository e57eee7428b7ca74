package dev.custody.protocol;

import java.util.Optional;

/** Metadata failed verification; local trusted state was left untouched. */
public final class MetadataInvalidException extends SingleFieldException {
    private static final long serialVersionUID = 1L;

    public MetadataInvalidException(String role, String message) {
        super(ErrorCode.METADATA_INVALID, message, "role", role);
    }

    public Optional<String> role() {
        return optionalFieldValue();
    }
}
