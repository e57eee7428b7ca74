package dev.custody.tuf.server;

import java.util.List;

/** HTTP 403: the server knows the caller and refuses the operation. */
public final class AuthDeniedException extends NotaryServerException {
    private static final long serialVersionUID = 1L;

    public AuthDeniedException(String request, String serverBody, List<String> serverCodes) {
        super(Code.AUTH_DENIED, request, 403, serverBody, serverCodes, "access denied by the server (HTTP 403)", null);
    }
}
