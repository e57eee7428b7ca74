package dev.custody.tuf.server;

import java.util.List;
import java.util.Optional;

/**
 * The server refused the metadata of a publish (HTTP 400 {@code INVALID_UPDATE} or
 * {@code MALFORMED_JSON}). notary-server explains an {@code INVALID_UPDATE} in its {@code detail}:
 * {@code {"Name":"ErrBadTargets","Error":{"Msg":"valid signatures did not meet threshold for targets"}}};
 * {@link #validationError()} and {@link #validationMessage()} are those two values.
 */
public final class MetadataRejectedException extends NotaryServerException {
    private static final long serialVersionUID = 1L;

    private final String validationError;
    private final String validationMessage;

    public MetadataRejectedException(
            String request,
            int status,
            String serverBody,
            List<String> serverCodes,
            String validationError,
            String validationMessage) {
        super(
                Code.METADATA_INVALID,
                request,
                status,
                serverBody,
                serverCodes,
                "the server rejected the metadata (HTTP " + status + ")",
                null);
        this.validationError = validationError;
        this.validationMessage = validationMessage;
    }

    /** notary's validation error type, e.g. {@code ErrBadTargets}, {@code ErrBadRoot}, {@code ErrBadHierarchy}. */
    public Optional<String> validationError() {
        return Optional.ofNullable(validationError);
    }

    /** notary's validation message, e.g. {@code valid signatures did not meet threshold for targets}. */
    public Optional<String> validationMessage() {
        return Optional.ofNullable(validationMessage);
    }
}
