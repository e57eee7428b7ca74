package dev.custody.tuf.server;

import java.io.IOException;
import java.util.List;

/**
 * A call to a Notary server failed. Every failure of {@link NotaryClient} is one subclass of this;
 * each names what happened, carries a stable {@link #code()} (named as in the daemon's error
 * protocol), the HTTP status ({@code 0} when no response arrived), and the server's error body
 * exactly as it was sent.
 *
 * <p>The message always ends with the server's body verbatim (only the trailing newline that
 * notary-server's JSON encoder adds is left out of the message; {@link #serverBody()} keeps it), so a
 * person reading a log sees the server's own words, such as its validation message for a rejected
 * publish.
 */
public class NotaryServerException extends IOException {
    private static final long serialVersionUID = 1L;

    /** What kind of failure it is; the names are those of the daemon's error protocol. */
    public enum Code {
        /** No answer: connection refused, timeout, TLS failure, or a 5xx from the server. */
        SERVER_UNREACHABLE,
        /** The repository, role, version or checksum does not exist on the server. */
        NOT_FOUND,
        /** Metadata was refused: by the server's validation on publish, or by us on download. */
        METADATA_INVALID,
        /** The server already holds a newer version, or reports a conflicting update. */
        CONFLICT,
        /** The server (or its token realm) wants credentials we do not have or that it refused. */
        AUTH_REQUIRED,
        /** The server knows who we are and refuses the operation (HTTP 403). */
        AUTH_DENIED,
        /** The server could not make sense of the request itself. */
        BAD_REQUEST,
        /** The response was larger than the client's limit and was not read. */
        RESPONSE_TOO_LARGE
    }

    private final Code code;
    private final String request;
    private final int status;
    private final String serverBody;
    private final List<String> serverCodes;

    /**
     * @param code        what kind of failure it is
     * @param request     method and URI, e.g. {@code GET https://notary:4443/v2/example.com/app/_trust/tuf/root.json}
     * @param status      HTTP status, or 0 when no response arrived
     * @param serverBody  the server's body verbatim ("" when none)
     * @param serverCodes the {@code errors[].code} values of notary's error JSON, in order (may be empty)
     * @param message     what happened, in words; the server body is appended
     */
    protected NotaryServerException(
            Code code,
            String request,
            int status,
            String serverBody,
            List<String> serverCodes,
            String message,
            Throwable cause) {
        super(compose(request, message, serverBody), cause);
        this.code = code;
        this.request = request;
        this.status = status;
        this.serverBody = serverBody == null ? "" : serverBody;
        this.serverCodes = serverCodes == null ? List.of() : List.copyOf(serverCodes);
    }

    private static String compose(String request, String message, String serverBody) {
        StringBuilder sb = new StringBuilder(request).append(": ").append(message);
        if (serverBody != null && !serverBody.isBlank()) {
            sb.append(": ").append(serverBody.stripTrailing());
        }
        return sb.toString();
    }

    /** What kind of failure it is, e.g. {@link Code#NOT_FOUND}. */
    public Code code() {
        return code;
    }

    /** Method and URI of the failing request. */
    public String request() {
        return request;
    }

    /** HTTP status, or 0 when the server did not answer. */
    public int status() {
        return status;
    }

    /** The server's response body verbatim (UTF-8), "" when there was none. */
    public String serverBody() {
        return serverBody;
    }

    /** The {@code code} of each entry of notary's {@code {"errors":[…]}} body, e.g. {@code INVALID_UPDATE}. */
    public List<String> serverCodes() {
        return serverCodes;
    }
}
