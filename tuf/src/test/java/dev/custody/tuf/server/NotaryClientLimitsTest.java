package dev.custody.tuf.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a real notary-server will not do: stream without end, stall, redirect, send junk keys. */
class NotaryClientLimitsTest {
    private static final String GUN = "example.com/custody/app";

    private FakeServer fake;

    @BeforeEach
    void start() throws Exception {
        fake = new FakeServer();
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void getRole_endlessChunkedBody_stopsReadingAtLimit() throws Exception {
        fake.handle("/v2/", ex -> {
            ex.sendResponseHeaders(200, 0); // chunked, no Content-Length
            byte[] chunk = new byte[8192];
            try (OutputStream out = ex.getResponseBody()) {
                for (int i = 0; i < 1_000_000; i++) {
                    out.write(chunk);
                }
            } catch (IOException clientHungUp) {
                // expected: the client cancels the stream at its limit
            }
        });
        NotaryClient client =
                NotaryClient.builder(fake.url()).maxResponseBytes(64 * 1024).build();

        assertTimeoutPreemptively(
                Duration.ofSeconds(10),
                () -> assertThatThrownBy(() -> client.getRole(GUN, "root"))
                        .isInstanceOfSatisfying(ResponseTooLargeException.class, e -> {
                            assertThat(e.declaredLength()).isEmpty();
                            assertThat(e.receivedBytes())
                                    .isGreaterThan(64 * 1024)
                                    .isLessThan(1024 * 1024);
                            assertThat(e.code()).isEqualTo(NotaryServerException.Code.RESPONSE_TOO_LARGE);
                        }));
    }

    @Test
    void getRole_bodyWithinLimit_returnedWhole() throws Exception {
        byte[] body = new byte[64 * 1024];
        fake.handle("/v2/", ex -> {
            ex.sendResponseHeaders(200, 0);
            ex.getResponseBody().write(body);
        });
        NotaryClient client =
                NotaryClient.builder(fake.url()).maxResponseBytes(body.length).build();

        assertThat(client.getRole(GUN, "root")).hasSize(body.length);
    }

    @Test
    void getRole_stalledServer_throwsServerUnreachableAtRequestTimeout() throws Exception {
        fake.handle("/v2/", ex -> sleep(5_000));
        NotaryClient client = NotaryClient.builder(fake.url())
                .requestTimeout(Duration.ofMillis(300))
                .build();

        assertTimeoutPreemptively(
                Duration.ofSeconds(3),
                () -> assertThatThrownBy(() -> client.getRole(GUN, "root"))
                        .isInstanceOfSatisfying(
                                ServerUnreachableException.class,
                                e -> assertThat(e.reason())
                                        .isEqualTo(ServerUnreachableException.Reason.RESPONSE_TIMEOUT)));
    }

    @Test
    void getRole_dripFeedingServer_deadlineCoversBody() throws Exception {
        fake.handle("/v2/", ex -> {
            ex.sendResponseHeaders(200, 0);
            try (OutputStream out = ex.getResponseBody()) {
                for (int i = 0; i < 100; i++) {
                    out.write('x');
                    out.flush();
                    sleep(100);
                }
            } catch (IOException clientHungUp) {
                // expected
            }
        });
        NotaryClient client = NotaryClient.builder(fake.url())
                .requestTimeout(Duration.ofMillis(500))
                .build();

        assertTimeoutPreemptively(
                Duration.ofSeconds(3),
                () -> assertThatThrownBy(() -> client.getRole(GUN, "root"))
                        .isInstanceOfSatisfying(
                                ServerUnreachableException.class,
                                e -> assertThat(e.reason())
                                        .isEqualTo(ServerUnreachableException.Reason.RESPONSE_TIMEOUT)));
    }

    @Test
    void getRole_serverError_throwsServerErrorWithBodyVerbatim() throws Exception {
        String body =
                "{\"errors\":[{\"code\":\"UPDATING\",\"message\":\"An error has occurred while updating the TUF repository.\"}]}";
        fake.handle("/v2/", ex -> FakeServer.reply(ex, 500, body));
        NotaryClient client = NotaryClient.builder(fake.url()).build();

        assertThatThrownBy(() -> client.getRole(GUN, "root")).isInstanceOfSatisfying(ServerErrorException.class, e -> {
            assertThat(e.code()).isEqualTo(NotaryServerException.Code.SERVER_UNREACHABLE);
            assertThat(e.status()).isEqualTo(500);
            assertThat(e.serverBody()).isEqualTo(body);
            assertThat(e.getMessage()).endsWith(body);
        });
    }

    @Test
    void getRole_hugeErrorBody_truncatedInException() throws Exception {
        String huge = "E".repeat(200_000);
        fake.handle("/v2/", ex -> FakeServer.reply(ex, 502, huge));
        NotaryClient client = NotaryClient.builder(fake.url()).build();

        assertThatThrownBy(() -> client.getRole(GUN, "root")).isInstanceOfSatisfying(ServerErrorException.class, e -> {
            assertThat(e.serverBody()).startsWith("EEEE").endsWith(" …(truncated)");
            assertThat(e.serverBody().length()).isLessThan(NotaryClient.MAX_ERROR_BODY_BYTES + 20);
        });
    }

    @Test
    void getRole_redirect_notFollowed() throws Exception {
        fake.handle("/v2/", ex -> {
            ex.getResponseHeaders().add("Location", "http://elsewhere.example/");
            FakeServer.reply(ex, 302, "");
        });
        NotaryClient client = NotaryClient.builder(fake.url()).build();

        assertThatThrownBy(() -> client.getRole(GUN, "root")).isInstanceOfSatisfying(ServerErrorException.class, e -> {
            assertThat(e.status()).isEqualTo(302);
            assertThat(e.getMessage()).contains("http://elsewhere.example/");
        });
        assertThat(fake.seen).hasSize(1);
    }

    @Test
    void getRoleByChecksum_bytesNotMatchingChecksum_throwsMalformedResponse() throws Exception {
        byte[] expected = "{\"signed\":{}}".getBytes(StandardCharsets.UTF_8);
        String checksum =
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(expected));
        fake.handle("/v2/", ex -> FakeServer.reply(ex, 200, "{\"signed\":{\"other\":1}}"));
        NotaryClient client = NotaryClient.builder(fake.url()).build();

        assertThatThrownBy(() -> client.getRoleByChecksum(GUN, "snapshot", checksum))
                .isInstanceOfSatisfying(
                        MalformedResponseException.class,
                        e -> assertThat(e.code()).isEqualTo(NotaryServerException.Code.METADATA_INVALID));
        assertThat(fake.seen.get(0).path()).isEqualTo("/v2/" + GUN + "/_trust/tuf/snapshot." + checksum + ".json");
    }

    @Test
    void getKey_privateKeyInResponse_throwsMalformedResponse() throws Exception {
        fake.handle(
                "/v2/",
                ex -> FakeServer.reply(
                        ex,
                        200,
                        "{\"keytype\":\"ed25519\",\"keyval\":{\"public\":\"AAAA\",\"private\":\"c2VjcmV0\"}}"));
        NotaryClient client = NotaryClient.builder(fake.url()).build();

        assertThatThrownBy(() -> client.getKey(GUN, "timestamp"))
                .isInstanceOfSatisfying(
                        MalformedResponseException.class,
                        e -> assertThat(e.getMessage()).contains("private key material"));
    }

    @Test
    void getKey_notAKey_throwsMalformedResponse() throws Exception {
        fake.handle("/v2/", ex -> FakeServer.reply(ex, 200, "<html>hello</html>"));
        NotaryClient client = NotaryClient.builder(fake.url()).build();

        assertThatThrownBy(() -> client.getKey(GUN, "snapshot")).isInstanceOf(MalformedResponseException.class);
    }

    @Test
    void publish_roles_sentAsNotaryMultipartForm() throws Exception {
        fake.handle("/v2/", ex -> FakeServer.reply(ex, 200, ""));
        NotaryClient client =
                NotaryClient.builder(fake.url()).userAgent("custody-test/1").build();
        Map<String, byte[]> roles = new LinkedHashMap<>();
        roles.put("targets/releases", "{\"signed\":{\"_type\":\"Targets\"}}".getBytes(StandardCharsets.UTF_8));
        roles.put("snapshot", new byte[] {0, 1, 2, '\r', '\n', '-', '-'});

        client.publish(GUN, roles);

        FakeServer.Seen post = fake.seen.get(0);
        assertThat(post.method()).isEqualTo("POST");
        assertThat(post.path()).isEqualTo("/v2/" + GUN + "/_trust/tuf/");
        assertThat(post.header("User-Agent")).isEqualTo("custody-test/1");
        assertThat(post.header("Content-Length")).isEqualTo(String.valueOf(post.body().length));
        String contentType = post.header("Content-Type");
        assertThat(contentType).startsWith("multipart/form-data; boundary=");
        String boundary = contentType.substring("multipart/form-data; boundary=".length());
        String expected = "--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"files\"; filename=\"targets/releases\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n"
                + "{\"signed\":{\"_type\":\"Targets\"}}\r\n"
                + "--" + boundary + "\r\n"
                + "Content-Disposition: form-data; name=\"files\"; filename=\"snapshot\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n"
                + "\u0000\u0001\u0002\r\n--\r\n"
                + "--" + boundary + "--\r\n";
        assertThat(new String(post.body(), StandardCharsets.ISO_8859_1)).isEqualTo(expected);
    }

    @Test
    void publish_invalidRoleOrEmptySet_refusedBeforeSending() throws Exception {
        NotaryClient client = NotaryClient.builder(fake.url()).build();

        assertThatThrownBy(() -> client.publish(GUN, Map.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> client.publish(GUN, Map.of("targets\"; name=\"x", new byte[1])))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(fake.seen).isEmpty();
    }

    @Test
    void delete_sendsDeleteToTufRoot() throws Exception {
        fake.handle("/v2/", ex -> FakeServer.reply(ex, 200, ""));
        NotaryClient client = NotaryClient.builder(fake.url() + "/").build();

        client.delete(GUN);

        assertThat(fake.seen).singleElement().satisfies(s -> {
            assertThat(s.method()).isEqualTo("DELETE");
            assertThat(s.path()).isEqualTo("/v2/" + GUN + "/_trust/tuf/");
            assertThat(s.header("User-Agent")).isEqualTo(NotaryClient.DEFAULT_USER_AGENT);
        });
    }

    @Test
    void getRole_basePathPrefix_kept() throws Exception {
        fake.handle("/notary/v2/", ex -> FakeServer.reply(ex, 200, "{}"));
        NotaryClient client = NotaryClient.builder(fake.url() + "/notary").build();

        client.getRole(GUN, "targets/releases");

        assertThat(fake.seen.get(0).path()).isEqualTo("/notary/v2/" + GUN + "/_trust/tuf/targets/releases.json");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
