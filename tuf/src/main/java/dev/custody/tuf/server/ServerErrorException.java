package dev.custody.tuf.server;

import java.util.List;

/**
 * The server answered with a 5xx (or another status a Notary server never sends, such as a
 * redirect, which this client does not follow). Reported as {@link #SERVER_UNREACHABLE}: the
 * operation can be retried later, as notary's own client says "unable to reach trust server".
 */
public final class ServerErrorException extends NotaryServerException {
    private static final long serialVersionUID = 1L;

    public ServerErrorException(
            String request, int status, String serverBody, List<String> serverCodes, String message) {
        super(Code.SERVER_UNREACHABLE, request, status, serverBody, serverCodes, message, null);
    }
}
