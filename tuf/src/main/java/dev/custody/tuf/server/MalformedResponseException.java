package dev.custody.tuf.server;

import java.util.List;

/**
 * The server answered 2xx with something this client refuses: a key that is not a key, a
 * metadata file whose SHA-256 is not the checksum asked for, a token response without a token.
 */
public final class MalformedResponseException extends NotaryServerException {
    private static final long serialVersionUID = 1L;

    public MalformedResponseException(String request, int status, String message, Throwable cause) {
        super(Code.METADATA_INVALID, request, status, "", List.of(), message, cause);
    }
}
