package dev.custody.tuf.server;

import java.util.List;

/**
 * Any other 4xx: notary-server's {@code MALFORMED_UPLOAD}, {@code INVALID_ROLE}, {@code NO_FILENAME},
 * {@code INVALID_GUN}, {@code INVALID_PARAMETERS}, or a status it does not document.
 */
public final class BadRequestException extends NotaryServerException {
    private static final long serialVersionUID = 1L;

    public BadRequestException(String request, int status, String serverBody, List<String> serverCodes) {
        super(
                Code.BAD_REQUEST,
                request,
                status,
                serverBody,
                serverCodes,
                "the server refused the request (HTTP " + status + ")",
                null);
    }
}
