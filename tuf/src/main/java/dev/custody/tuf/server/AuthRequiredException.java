package dev.custody.tuf.server;

import java.util.List;

/**
 * HTTP 401 after the one retry the token flow allows, a token realm that refused us, or
 * credentials withheld from a realm that would receive them in clear text.
 */
public final class AuthRequiredException extends NotaryServerException {
    private static final long serialVersionUID = 1L;

    public AuthRequiredException(
            String request, int status, String serverBody, List<String> serverCodes, String message) {
        super(Code.AUTH_REQUIRED, request, status, serverBody, serverCodes, message, null);
    }
}
