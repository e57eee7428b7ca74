package dev.custody.client.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custody.protocol.BoundedLineReader;
import dev.custody.protocol.DaemonUnavailableException;
import dev.custody.protocol.ErrorCode;
import dev.custody.protocol.Notice;
import dev.custody.protocol.PingResult;
import dev.custody.protocol.PolicyDeniedException;
import dev.custody.protocol.Protocol;
import dev.custody.protocol.RequestTooLargeException;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

class CustodyClientTest {
    private static final Duration LIMIT = Duration.ofSeconds(20);
    private final ObjectMapper mapper = Protocol.newMapper();
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();

    @TempDir
    Path dir;

    private AFUNIXServerSocket server;

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    /** A one-connection fake daemon: each request line is answered with reply(request), or nothing for null. */
    private Path fakeDaemon(Function<JsonNode, String> reply) throws IOException {
        Path sock = dir.resolve("fake.sock");
        server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(sock));
        Thread t = new Thread(
                () -> {
                    try (AFUNIXSocket s = server.accept()) {
                        BoundedLineReader in = new BoundedLineReader(s.getInputStream(), 1 << 20);
                        OutputStream out = s.getOutputStream();
                        byte[] line;
                        while ((line = in.readLine()) != null) {
                            JsonNode req = mapper.readTree(line);
                            received.add(req);
                            String r = reply.apply(req);
                            if (r == null) {
                                return;
                            }
                            out.write((r + "\n").getBytes(StandardCharsets.UTF_8));
                            out.flush();
                        }
                    } catch (IOException e) {
                        // the test decides what the client sees
                    }
                },
                "fake-daemon");
        t.setDaemon(true);
        t.start();
        return sock;
    }

    @Test
    void ping_success_sendsJsonRpcAndBindsResult() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Path sock =
                    fakeDaemon(req -> "{\"jsonrpc\":\"2.0\",\"id\":" + req.get("id") + ",\"result\":{\"pong\":true}}");
            try (CustodyClient c = CustodyClient.connect(sock)) {
                assertThat(c.ping()).isEqualTo(new PingResult(true, null));
                assertThat(c.ping().pong()).isTrue();
            }
            assertThat(received).hasSize(2);
            assertThat(received.get(0).get("jsonrpc").asText()).isEqualTo("2.0");
            assertThat(received.get(0).get("method").asText()).isEqualTo("ping");
            assertThat(received.get(0).get("id").asLong()).isEqualTo(1);
            assertThat(received.get(1).get("id").asLong()).isEqualTo(2);
        });
    }

    @Test
    void call_noticesBeforeTheResponse_goToTheListener_unknownOnesSkipped() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Path sock = fakeDaemon(req -> String.join(
                    "\n",
                    "{\"jsonrpc\":\"2.0\",\"method\":\"notice\",\"params\":{\"kind\":\"touch\",\"token\":\"yk1\","
                            + "\"serial\":\"10000001\",\"slot\":\"9c\",\"message\":\"touch the YubiKey with serial 10000001\"}}",
                    "{\"jsonrpc\":\"2.0\",\"method\":\"notice\",\"params\":{\"kind\":\"from.the.future\",\"x\":[1,2]}}",
                    "{\"jsonrpc\":\"2.0\",\"method\":\"somethingElse\",\"params\":{\"kind\":\"touch\"}}",
                    "{\"jsonrpc\":\"2.0\",\"method\":\"notice\",\"params\":{\"kind\":\"touch.done\",\"serial\":\"10000001\"}}",
                    "{\"jsonrpc\":\"2.0\",\"id\":" + req.get("id") + ",\"result\":{\"pong\":true}}"));
            List<Notice> notices = new CopyOnWriteArrayList<>();
            try (CustodyClient c = CustodyClient.connect(sock)) {
                // without a listener the notices are skipped and the response still arrives
                assertThat(c.ping().pong()).isTrue();
                c.onNotice(notices::add);
                assertThat(c.ping().pong()).isTrue();
                // a listener that fails does not cost the response
                c.onNotice(n -> {
                    throw new IllegalStateException("listener bug");
                });
                assertThat(c.ping().pong()).isTrue();
            }
            assertThat(notices).extracting(Notice::kind).containsExactly("touch", "from.the.future", "touch.done");
            assertThat(notices.get(0).message()).contains("touch the YubiKey with serial 10000001");
            assertThat(notices.get(0).text("slot")).contains("9c");
            assertThat(notices.get(2).message()).isEmpty();
        });
    }

    @Test
    void call_errorResponse_throwsTypedException() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Path sock = fakeDaemon(req -> "{\"jsonrpc\":\"2.0\",\"id\":" + req.get("id") + ",\"error\":{\"code\":2001,"
                    + "\"message\":\"uid 1001 may not publish example.com/x (no rule matched)\","
                    + "\"data\":{\"name\":\"POLICY_DENIED\",\"operation\":\"publish\",\"gun\":\"example.com/x\"}}}");
            try (CustodyClient c = CustodyClient.connect(sock)) {
                assertThatThrownBy(() ->
                                c.call("repo.publish", mapper.createObjectNode().put("gun", "example.com/x")))
                        .isInstanceOf(PolicyDeniedException.class)
                        .hasMessageContaining("no rule matched")
                        .satisfies(e -> {
                            PolicyDeniedException p = (PolicyDeniedException) e;
                            assertThat(p.rule()).isEmpty();
                            assertThat(p.gun()).contains("example.com/x");
                            assertThat(p.code()).isEqualTo(ErrorCode.POLICY_DENIED);
                        });
            }
        });
    }

    @Test
    void call_errorWithNullId_isThrownAsItsCode() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Path sock = fakeDaemon(
                    req -> "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32001,"
                            + "\"message\":\"request line exceeds 1048576 bytes\",\"data\":{\"name\":\"REQUEST_TOO_LARGE\",\"limitBytes\":1048576}}}");
            try (CustodyClient c = CustodyClient.connect(sock)) {
                assertThatThrownBy(c::status)
                        .isInstanceOf(RequestTooLargeException.class)
                        .satisfies(e -> assertThat(((RequestTooLargeException) e).limitBytes())
                                .isEqualTo(1048576));
            }
        });
    }

    @Test
    void call_responseForAnotherId_isProtocolError() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Path sock = fakeDaemon(req -> "{\"jsonrpc\":\"2.0\",\"id\":99,\"result\":{}}");
            try (CustodyClient c = CustodyClient.connect(sock)) {
                assertThatThrownBy(c::ping).isInstanceOf(IOException.class).hasMessageContaining("99");
            }
        });
    }

    @Test
    void call_withoutParams_sendsThePlainRequest_andReadsThePlainResult() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Path sock = fakeDaemon(req -> "{\"jsonrpc\":\"2.0\",\"id\":" + req.get("id")
                    + ",\"result\":{\"version\":\"0.1.0\",\"tokens\":[{\"name\":\"yk\",\"keys\":2}]}}");
            try (CustodyClient c = CustodyClient.connect(sock)) {
                JsonNode r = c.call("status", null);
                assertThat(r.get("version").asText()).isEqualTo("0.1.0");
                assertThat(r.at("/tokens/0/keys").asInt()).isEqualTo(2);
                assertThat(c.call("status", null).get("version").asText()).isEqualTo("0.1.0");
            }
            assertThat(received).hasSize(2);
            assertThat(received.get(0).toString()).isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"}");
            assertThat(received.get(1).get("id").asLong()).isEqualTo(2);
        });
    }

    @Test
    void call_successThatIsNotPlain_isRefusedAsBefore() {
        // each is refused by the strict mapper, whether or not the mapper-free reading sees it first
        String[] replies = {
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"extra\":true}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"a\":1,\"a\":2}}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}} {}",
            "{\"jsonrpc\":2.0,\"id\":1,\"result\":{}}",
            "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"error\":{\"code\":-32603,\"message\":\"x\"}}",
        };
        for (String reply : replies) {
            assertTimeoutPreemptively(LIMIT, () -> {
                stop();
                Files.deleteIfExists(dir.resolve("fake.sock"));
                Path sock = fakeDaemon(req -> reply);
                try (CustodyClient c = CustodyClient.connect(sock)) {
                    assertThatThrownBy(() -> c.call("status", null))
                            .as(reply)
                            .isInstanceOf(IOException.class)
                            .hasMessageContaining("not JSON-RPC 2.0");
                }
            });
        }
    }

    @Test
    void call_notJsonRpc_isProtocolError() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Path sock = fakeDaemon(req -> "{\"hello\":1}");
            try (CustodyClient c = CustodyClient.connect(sock)) {
                assertThatThrownBy(c::ping).isInstanceOf(IOException.class).hasMessageContaining("not JSON-RPC");
            }
        });
    }

    @Test
    void call_daemonClosesWithoutAnswer_isEof() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Path sock = fakeDaemon(req -> null);
            try (CustodyClient c = CustodyClient.connect(sock)) {
                assertThatThrownBy(c::ping)
                        .isInstanceOf(EOFException.class)
                        .hasMessageContaining("without answering 'ping'");
            }
        });
    }

    @Test
    void call_noAnswerWithinTimeout_isSocketTimeout() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Path sock = fakeDaemon(req -> {
                try {
                    Thread.sleep(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return null;
            });
            try (CustodyClient c = CustodyClient.connect(sock, Duration.ofMillis(300))) {
                assertThatThrownBy(c::ping)
                        .isInstanceOf(SocketTimeoutException.class)
                        .hasMessageContaining("in time");
            }
        });
    }

    @Test
    void connect_noSocketFile_explainsDaemonNotRunning() {
        Path missing = dir.resolve("none.sock");
        assertThatThrownBy(() -> CustodyClient.connect(missing))
                .isInstanceOf(DaemonUnavailableException.class)
                .hasMessageContaining("no custodyd socket at " + missing)
                .hasMessageContaining("CUSTODY_SOCKET")
                .satisfies(e ->
                        assertThat(((DaemonUnavailableException) e).socket()).isEqualTo(missing));
    }

    @Test
    void connect_staleSocketFile_explainsNotRunning() throws IOException {
        Path stale = dir.resolve("stale.sock");
        AFUNIXServerSocket s = AFUNIXServerSocket.bindOn(stale, false);
        s.setDeleteOnClose(false);
        s.close();
        assertThatThrownBy(() -> CustodyClient.connect(stale))
                .isInstanceOf(DaemonUnavailableException.class)
                .hasMessageContaining("custodyd is not running");
    }

    @Test
    void explainConnectFailure_permissionDenied_namesTheGroup() {
        assertThat(CustodyClient.explainConnectFailure(
                        Path.of("/run/custody/custody.sock"), new java.net.SocketException("Permission denied")))
                .contains("permission denied on /run/custody/custody.sock")
                .contains("group");
    }
}
