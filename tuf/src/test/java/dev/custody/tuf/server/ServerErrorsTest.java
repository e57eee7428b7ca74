package dev.custody.tuf.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The HTTP status mapping, fed with the error bodies notary-server 0.7 sent on this machine
 * (captured with curl against a memory-backed server; Go's JSON encoder ends each with a newline).
 */
class ServerErrorsTest {
    private static final HttpHeaders NO_HEADERS = HttpHeaders.of(Map.of(), (a, b) -> true);

    static Stream<Arguments> notaryServerBodies() {
        return Stream.of(
                Arguments.of(
                        404,
                        "{\"errors\":[{\"code\":\"METADATA_NOT_FOUND\",\"message\":\"You have requested metadata that does not exist.\",\"detail\":{}}]}\n",
                        NotFoundException.class,
                        "NOT_FOUND"),
                Arguments.of(
                        400,
                        "{\"errors\":[{\"code\":\"INVALID_UPDATE\",\"message\":\"Update sent by the client is invalid.\",\"detail\":{\"Name\":\"ErrBadRoot\",\"Error\":{\"Msg\":\"could not validate the path to a trusted root: unable to retrieve valid leaf certificates\"}}}]}\n",
                        MetadataRejectedException.class,
                        "METADATA_INVALID"),
                Arguments.of(
                        400,
                        "{\"errors\":[{\"code\":\"INVALID_UPDATE\",\"message\":\"Update sent by the client is invalid.\",\"detail\":{\"Name\":\"ErrBadHierarchy\",\"Error\":{\"Missing\":\"snapshot\",\"Msg\":\"no snapshot was included in update and server does not hold current snapshot key for repository\"}}}]}\n",
                        MetadataRejectedException.class,
                        "METADATA_INVALID"),
                Arguments.of(
                        400,
                        "{\"errors\":[{\"code\":\"MALFORMED_JSON\",\"message\":\"JSON sent by the client could not be parsed by the server\"}]}\n",
                        MetadataRejectedException.class,
                        "METADATA_INVALID"),
                Arguments.of(
                        400,
                        "{\"errors\":[{\"code\":\"VERSION\",\"message\":\"A newer version of metadata is already available.\",\"detail\":{}}]}\n",
                        ConflictException.class,
                        "CONFLICT"),
                Arguments.of(
                        400,
                        "{\"errors\":[{\"code\":\"INVALID_ROLE\",\"message\":\"The role you are attempting to operate on is invalid.\",\"detail\":\"bogus\"}]}\n",
                        BadRequestException.class,
                        "BAD_REQUEST"),
                Arguments.of(
                        400,
                        "{\"errors\":[{\"code\":\"MALFORMED_UPLOAD\",\"message\":\"The body of your request is malformed.\"}]}\n",
                        BadRequestException.class,
                        "BAD_REQUEST"),
                Arguments.of(401, "", AuthRequiredException.class, "AUTH_REQUIRED"),
                Arguments.of(403, "", AuthDeniedException.class, "AUTH_DENIED"),
                Arguments.of(409, "conflict", ConflictException.class, "CONFLICT"),
                Arguments.of(413, "<html>too big</html>", BadRequestException.class, "BAD_REQUEST"),
                Arguments.of(
                        500,
                        "{\"errors\":[{\"code\":\"UPDATING\",\"message\":\"An error has occurred while updating the TUF repository.\"}]}\n",
                        ServerErrorException.class,
                        "SERVER_UNREACHABLE"),
                Arguments.of(503, "<html>bad gateway</html>", ServerErrorException.class, "SERVER_UNREACHABLE"),
                Arguments.of(302, "", ServerErrorException.class, "SERVER_UNREACHABLE"),
                Arguments.of(204, "", ServerErrorException.class, "SERVER_UNREACHABLE"));
    }

    @ParameterizedTest
    @MethodSource("notaryServerBodies")
    void forStatus_notaryServerBodies_mapToOneExceptionEach(
            int status, String body, Class<? extends NotaryServerException> type, String code) {
        NotaryServerException e = ServerErrors.forStatus(
                "GET http://h/x", status, body.getBytes(StandardCharsets.UTF_8), false, NO_HEADERS);

        assertThat(e).isExactlyInstanceOf(type);
        assertThat(e.code().name()).isEqualTo(code);
        assertThat(e.status()).isEqualTo(status);
        assertThat(e.serverBody()).isEqualTo(body);
        assertThat(e.getMessage()).startsWith("GET http://h/x: ").endsWith(body.strip());
    }

    @Test
    void forStatus_invalidUpdate_keepsValidationNameAndMessage() {
        byte[] body =
                ("{\"errors\":[{\"code\":\"INVALID_UPDATE\",\"message\":\"Update sent by the client is invalid.\","
                                + "\"detail\":{\"Name\":\"ErrBadTargets\",\"Error\":{\"Msg\":\"tuf: invalid role targets/x. delegation does not exist\"}}}]}")
                        .getBytes(StandardCharsets.UTF_8);

        MetadataRejectedException e =
                (MetadataRejectedException) ServerErrors.forStatus("POST u", 400, body, false, NO_HEADERS);

        assertThat(e.serverCodes()).containsExactly("INVALID_UPDATE");
        assertThat(e.validationError()).contains("ErrBadTargets");
        assertThat(e.validationMessage()).contains("tuf: invalid role targets/x. delegation does not exist");
    }

    @Test
    void forStatus_truncatedBody_markedInMessage() {
        NotaryServerException e = ServerErrors.forStatus(
                "GET u", 500, "{\"errors\":[".getBytes(StandardCharsets.UTF_8), true, NO_HEADERS);

        assertThat(e.serverBody()).isEqualTo("{\"errors\":[ …(truncated)");
        assertThat(e.serverCodes()).isEmpty();
    }

    @Test
    void forStatus_unauthorized_namesChallengeInMessage() {
        HttpHeaders headers = HttpHeaders.of(
                Map.of("WWW-Authenticate", List.of("Bearer realm=\"https://auth/token\"")), (a, b) -> true);

        NotaryServerException e = ServerErrors.forStatus("GET u", 401, new byte[0], false, headers);

        assertThat(e.getMessage())
                .isEqualTo("GET u: authentication required (HTTP 401, challenge Bearer realm=\"https://auth/token\")");
    }

    static Stream<Arguments> transportFailures() {
        return Stream.of(
                Arguments.of(new ConnectException(), ServerUnreachableException.Reason.CONNECTION_REFUSED),
                Arguments.of(
                        new HttpConnectTimeoutException("connect"), ServerUnreachableException.Reason.CONNECT_TIMEOUT),
                Arguments.of(new HttpTimeoutException("request"), ServerUnreachableException.Reason.RESPONSE_TIMEOUT),
                Arguments.of(
                        new SSLHandshakeException("PKIX path building failed"),
                        ServerUnreachableException.Reason.TLS_FAILURE),
                Arguments.of(
                        new CompletionException(new java.io.IOException("wrapped", new ConnectException())),
                        ServerUnreachableException.Reason.CONNECTION_REFUSED),
                Arguments.of(new java.io.EOFException("reset"), ServerUnreachableException.Reason.CONNECTION_FAILED));
    }

    @ParameterizedTest
    @MethodSource("transportFailures")
    void forTransport_jdkFailures_mapToServerUnreachableWithReason(
            Throwable failure, ServerUnreachableException.Reason reason) {
        NotaryServerException e = ServerErrors.forTransport("GET u", failure);

        assertThat(e).isInstanceOfSatisfying(ServerUnreachableException.class, u -> {
            assertThat(u.reason()).isEqualTo(reason);
            assertThat(u.code()).isEqualTo(NotaryServerException.Code.SERVER_UNREACHABLE);
            assertThat(u.status()).isZero();
        });
    }

    @Test
    void forTransport_ourExceptionInsideJdkWrapper_returnedAsIs() {
        ResponseTooLargeException ours = new ResponseTooLargeException("GET u", 200, 10, -1, 11);

        assertThat(ServerErrors.forTransport("GET u", new CompletionException(new java.io.IOException(ours))))
                .isSameAs(ours);
    }
}
