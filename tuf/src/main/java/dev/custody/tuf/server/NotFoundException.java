package dev.custody.tuf.server;

import java.util.List;

/** HTTP 404: the server has no such repository, role, root version, checksum or key. */
public final class NotFoundException extends NotaryServerException {
    private static final long serialVersionUID = 1L;

    public NotFoundException(String request, String serverBody, List<String> serverCodes) {
        super(Code.NOT_FOUND, request, 404, serverBody, serverCodes, "not found on the server (HTTP 404)", null);
    }
}
