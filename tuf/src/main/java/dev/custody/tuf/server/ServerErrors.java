package dev.custody.tuf.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import javax.net.ssl.SSLException;

/**
 * Converts what comes back from a Notary server into exceptions, in two places only:
 * {@link #forStatus} (an HTTP status and the server's error body) and {@link #forTransport}
 * (no usable HTTP response at all).
 *
 * <p>notary-server 0.7 answers errors as
 * {@code {"errors":[{"code":"INVALID_UPDATE","message":"…","detail":{"Name":"ErrBadTargets","Error":{"Msg":"…"}}}]}}
 * (docker distribution's errcode format; {@code detail} is omitted, {@code {}}, a string or an
 * object). The body is kept verbatim; the codes are parsed only to pick the exception.
 */
final class ServerErrors {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ServerErrors() {}

    /** One entry of notary's {@code errors} array. {@code detail} is null when absent. */
    record ServerError(String code, String message, JsonNode detail) {}

    /**
     * The single HTTP status → exception mapping of the Notary client.
     *
     * @param body      the response body (possibly truncated at the error-body cap)
     * @param truncated whether the body was cut
     * @param headers   response headers (for {@code Location} and {@code WWW-Authenticate} in messages)
     */
    static NotaryServerException forStatus(
            String request, int status, byte[] body, boolean truncated, HttpHeaders headers) {
        String text = new String(body, StandardCharsets.UTF_8) + (truncated ? " …(truncated)" : "");
        List<ServerError> errors = parse(body);
        List<String> codes = errors.stream().map(ServerError::code).toList();
        switch (status) {
            case 400:
                return forBadRequest(request, text, errors, codes);
            case 401:
                return new AuthRequiredException(
                        request,
                        401,
                        text,
                        codes,
                        "authentication required (HTTP 401"
                                + headers.firstValue("WWW-Authenticate")
                                        .map(c -> ", challenge " + c)
                                        .orElse("") + ")");
            case 403:
                return new AuthDeniedException(request, text, codes);
            case 404:
                return new NotFoundException(request, text, codes);
            case 409:
                return new ConflictException(request, 409, text, codes);
            default:
                break;
        }
        if (status >= 500 && status <= 599) {
            return new ServerErrorException(request, status, text, codes, "server error (HTTP " + status + ")");
        }
        if (status >= 400 && status <= 499) {
            return new BadRequestException(request, status, text, codes);
        }
        if (status >= 300 && status <= 399) {
            return new ServerErrorException(
                    request,
                    status,
                    text,
                    codes,
                    "unexpected redirect (HTTP " + status + ") to "
                            + headers.firstValue("Location").orElse("nowhere") + "; redirects are not followed");
        }
        return new ServerErrorException(request, status, text, codes, "unexpected HTTP status " + status);
    }

    // notary-server's 400s: INVALID_UPDATE and MALFORMED_JSON are about the metadata, VERSION is
    // a lost race, MALFORMED_UPLOAD/INVALID_ROLE/NO_FILENAME/INVALID_GUN/INVALID_PARAMETERS are
    // about the request.
    private static NotaryServerException forBadRequest(
            String request, String text, List<ServerError> errors, List<String> codes) {
        if (codes.contains("VERSION")) {
            return new ConflictException(request, 400, text, codes);
        }
        for (ServerError e : errors) {
            if ("INVALID_UPDATE".equals(e.code()) || "MALFORMED_JSON".equals(e.code())) {
                JsonNode d = e.detail();
                String name =
                        d != null && d.path("Name").isTextual() ? d.path("Name").asText() : null;
                String msg = d != null && d.path("Error").path("Msg").isTextual()
                        ? d.path("Error").path("Msg").asText()
                        : null;
                return new MetadataRejectedException(request, 400, text, codes, name, msg);
            }
        }
        return new BadRequestException(request, 400, text, codes);
    }

    /** Parses notary's error body; anything else yields an empty list. */
    static List<ServerError> parse(byte[] body) {
        List<ServerError> out = new ArrayList<>();
        if (body.length == 0) {
            return out;
        }
        try {
            JsonNode errors = JSON.readTree(body).path("errors");
            for (JsonNode e : errors) {
                if (e.path("code").isTextual()) {
                    out.add(new ServerError(
                            e.path("code").asText(),
                            e.path("message").asText(""),
                            e.has("detail") ? e.get("detail") : null));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not notary's JSON (a proxy's HTML page, a truncated body): the verbatim text still goes out
            return List.of();
        }
        return out;
    }

    /** The single mapping of transport failures (no HTTP response) to exceptions. */
    static NotaryServerException forTransport(String request, Throwable failure) {
        Optional<NotaryServerException> ours = find(failure, NotaryServerException.class);
        if (ours.isPresent()) {
            return ours.get();
        }
        Throwable t = unwrap(failure);
        if (find(t, HttpConnectTimeoutException.class).isPresent()) {
            return new ServerUnreachableException(
                    request, ServerUnreachableException.Reason.CONNECT_TIMEOUT, "connect timed out", t);
        }
        if (find(t, HttpTimeoutException.class).isPresent()) {
            return new ServerUnreachableException(
                    request, ServerUnreachableException.Reason.RESPONSE_TIMEOUT, "no response in time", t);
        }
        if (find(t, SSLException.class).isPresent()) {
            return new ServerUnreachableException(
                    request,
                    ServerUnreachableException.Reason.TLS_FAILURE,
                    "TLS handshake failed (does the CA file hold the CA that signed the server certificate?): "
                            + find(t, SSLException.class).get().getMessage(),
                    t);
        }
        if (find(t, UnknownHostException.class).isPresent()
                || find(t, UnresolvedAddressException.class).isPresent()) {
            return new ServerUnreachableException(
                    request, ServerUnreachableException.Reason.UNKNOWN_HOST, "unknown host", t);
        }
        if (find(t, ConnectException.class).isPresent()) {
            return new ServerUnreachableException(
                    request,
                    ServerUnreachableException.Reason.CONNECTION_REFUSED,
                    "connection refused (is notary-server running?)",
                    t);
        }
        return new ServerUnreachableException(
                request, ServerUnreachableException.Reason.CONNECTION_FAILED, "connection failed: " + t, t);
    }

    static ServerUnreachableException timeout(String request, long millis) {
        return new ServerUnreachableException(
                request,
                ServerUnreachableException.Reason.RESPONSE_TIMEOUT,
                "no complete response within " + millis + " ms",
                null);
    }

    static ServerUnreachableException deadline(String request, java.time.Duration deadline) {
        return new ServerUnreachableException(
                request,
                ServerUnreachableException.Reason.RESPONSE_TIMEOUT,
                "the operation's deadline passed: its server calls took " + deadline.toMillis()
                        + " ms together without finishing",
                null);
    }

    static ServerUnreachableException interrupted(String request, InterruptedException e) {
        return new ServerUnreachableException(
                request, ServerUnreachableException.Reason.INTERRUPTED, "interrupted while waiting for the server", e);
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static <T extends Throwable> Optional<T> find(Throwable t, Class<T> type) {
        for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
            if (type.isInstance(t)) {
                return Optional.of(type.cast(t));
            }
        }
        return Optional.empty();
    }
}
