package dev.custody.tuf.server;

import java.util.List;

/**
 * The update lost a race: notary-server answers HTTP 400 {@code VERSION} ("A newer version of
 * metadata is already available.") when a published version is not above the stored one; a
 * server or proxy may also answer 409.
 */
public final class ConflictException extends NotaryServerException {
    private static final long serialVersionUID = 1L;

    public ConflictException(String request, int status, String serverBody, List<String> serverCodes) {
        super(
                Code.CONFLICT,
                request,
                status,
                serverBody,
                serverCodes,
                "the server holds a newer or conflicting version (HTTP " + status + ")",
                null);
    }
}
