package dev.custody.daemon.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.policy.UnixAccounts;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.RawConnection;
import dev.custody.daemon.testing.Requires;
import dev.custody.daemon.testing.TestServer;
import dev.custody.protocol.BusyException;
import dev.custody.protocol.DaemonUnavailableException;
import dev.custody.protocol.ErrorCode;
import dev.custody.protocol.Protocol;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Requires(Capability.LINUX)
class RpcServerTest {
    private static final Duration LIMIT = Duration.ofSeconds(30);
    private static final String PING = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";

    @TempDir
    Path dir;

    private final MethodRegistry registry = new MethodRegistry();
    private final AtomicInteger counted = new AtomicInteger();
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch blockedEntered = new CountDownLatch(1);
    private TestServer server;

    RpcServerTest() {
        registry.registerOpen(
                "ping", (c, p) -> JsonNodeFactory.instance.objectNode().put("pong", true));
        registry.registerOpen(
                "whoami",
                (c, p) -> JsonNodeFactory.instance
                        .objectNode()
                        .put("uid", c.uid())
                        .put("gid", c.gid())
                        .put("pid", c.pid()));
        registry.registerOpen("count", (c, p) -> {
            counted.incrementAndGet();
            return JsonNodeFactory.instance.objectNode();
        });
        registry.registerOpen("block", (c, p) -> {
            blockedEntered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            }
            return JsonNodeFactory.instance.objectNode().put("released", true);
        });
    }

    private TestServer start(ServerLimits limits) throws IOException {
        server = new TestServer(dir, registry, DispatchHook.ALLOW_ALL, limits);
        return server;
    }

    private TestServer start() throws IOException {
        return start(ServerLimits.DEFAULTS);
    }

    @AfterEach
    void stop() {
        release.countDown();
        if (server != null) {
            server.close();
        }
    }

    private static void await(BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not reached in 10 s");
            }
            Thread.sleep(10);
        }
    }

    @Test
    void call_overSocket_callerIdentityComesFromTheKernel() {
        assertTimeoutPreemptively(LIMIT, () -> {
            start();
            try (CustodyClient c = CustodyClient.connect(server.socket)) {
                assertThat(c.ping().pong()).isTrue();
                JsonNode who = c.call("whoami", null);
                assertThat(who.get("uid").asLong()).isEqualTo(UnixAccounts.selfUid());
                assertThat(who.get("gid").asLong()).isEqualTo(UnixAccounts.selfGid());
                assertThat(who.get("pid").asLong())
                        .isEqualTo(ProcessHandle.current().pid());
            }
        });
    }

    @Test
    void badRequests_connectionStaysUsable() {
        assertTimeoutPreemptively(LIMIT, () -> {
            start();
            try (RawConnection c = new RawConnection(server.socket)) {
                assertThat(c.call("{oops").at("/error/data/name").asText()).isEqualTo("BAD_REQUEST");
                assertThat(c.call("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope\"}")
                                .at("/error/code")
                                .asInt())
                        .isEqualTo(ErrorCode.METHOD_NOT_FOUND.number());
                assertThat(c.call("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\",\"params\":7}")
                                .at("/error/data/name")
                                .asText())
                        .isEqualTo("BAD_REQUEST");
                c.send("\n   \r\n"); // blank lines are ignored, as when typing by hand
                JsonNode ok = c.call("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\"}\r");
                assertThat(ok.get("id").asInt()).isEqualTo(4);
                assertThat(ok.at("/result/pong").asBoolean()).isTrue();
            }
        });
    }

    @Test
    void twoRequestsInOneWrite_areAnsweredInOrder() {
        assertTimeoutPreemptively(LIMIT, () -> {
            start();
            try (RawConnection c = new RawConnection(server.socket)) {
                c.send(
                        "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"ping\"}\n{\"jsonrpc\":\"2.0\",\"id\":\"b\",\"method\":\"ping\"}\n");
                assertThat(c.read().get("id").asText()).isEqualTo("a");
                assertThat(c.read().get("id").asText()).isEqualTo("b");
            }
        });
    }

    @Test
    void oversizedLine_isRefusedBeforeItsEnd_andNothingIsDone() {
        assertTimeoutPreemptively(LIMIT, () -> {
            start(TestServer.limits(1024, 8, 4, Duration.ofMinutes(1), Duration.ofSeconds(10), Duration.ofSeconds(5)));
            try (RawConnection c = new RawConnection(server.socket)) {
                // a real request, padded past the limit, and never terminated
                byte[] big = ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"count\",\"params\":{\"pad\":\""
                                + "x".repeat(4000))
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                c.send(big);
                JsonNode r = c.read();
                assertThat(r.at("/error/data/name").asText()).isEqualTo("REQUEST_TOO_LARGE");
                assertThat(r.at("/error/data/limitBytes").asInt()).isEqualTo(1024);
                assertThat(r.get("id").isNull()).isTrue();
                assertThat(c.closedByPeer()).isTrue();
            }
            assertThat(counted.get()).isZero();
        });
    }

    @Test
    void oversizedLine_atDefaultLimit_isAnsweredWhileTheClientIsStillSending() {
        assertTimeoutPreemptively(LIMIT, () -> {
            start();
            try (RawConnection c = new RawConnection(server.socket)) {
                OutputStream out = c.socket().getOutputStream();
                CompletableFuture<Long> writer = CompletableFuture.supplyAsync(() -> {
                    byte[] chunk = new byte[64 * 1024];
                    Arrays.fill(chunk, (byte) 'a');
                    long sent = 0;
                    try {
                        // 8 MiB without a newline; the daemon must answer after ~1 MiB and hang up
                        for (int i = 0; i < 128; i++) {
                            out.write(chunk);
                            sent += chunk.length;
                        }
                    } catch (IOException expected) {
                        // broken pipe once the daemon closed
                    }
                    return sent;
                });
                JsonNode r = c.read();
                assertThat(r.at("/error/code").asInt()).isEqualTo(ErrorCode.REQUEST_TOO_LARGE.number());
                assertThat(r.at("/error/data/limitBytes").asInt()).isEqualTo(Protocol.DEFAULT_MAX_REQUEST_BYTES);
                assertThat(writer.get(20, TimeUnit.SECONDS))
                        .as("the daemon stopped reading")
                        .isLessThan(8L << 20);
            }
        });
    }

    @Test
    void maxConnections_oneMoreGetsBusy() {
        assertTimeoutPreemptively(LIMIT, () -> {
            start(TestServer.limits(
                    1 << 20, 2, 4, Duration.ofMinutes(1), Duration.ofSeconds(10), Duration.ofSeconds(5)));
            try (RawConnection a = new RawConnection(server.socket);
                    RawConnection b = new RawConnection(server.socket)) {
                assertThat(a.call(PING).has("result")).isTrue();
                assertThat(b.call(PING).has("result")).isTrue();
                try (RawConnection third = new RawConnection(server.socket)) {
                    JsonNode r = third.read();
                    assertThat(r.at("/error/data/name").asText()).isEqualTo("BUSY");
                    assertThat(r.at("/error/data/limit").asText()).isEqualTo("maxConnections");
                    assertThat(third.closedByPeer()).isTrue();
                }
                assertThat(a.call(PING).has("result"))
                        .as("existing connections are unaffected")
                        .isTrue();
            }
            await(() -> server.server.connectionCount() == 0);
            try (RawConnection again = new RawConnection(server.socket)) {
                assertThat(again.call(PING).has("result")).isTrue();
            }
        });
    }

    @Test
    void inFlightPerCaller_moreWaitInQueue_busyOnlyBeyondIt() {
        assertTimeoutPreemptively(LIMIT, () -> {
            start(TestServer.limits(1 << 20, 8, 1, Duration.ofMinutes(1), Duration.ofSeconds(10), Duration.ofSeconds(5))
                    .withMaxQueuedPerCaller(1));
            long uid = UnixAccounts.selfUid();
            try (CustodyClient a = CustodyClient.connect(server.socket);
                    CustodyClient b = CustodyClient.connect(server.socket);
                    CustodyClient c = CustodyClient.connect(server.socket)) {
                c.retryBusyFor(Duration.ZERO);
                CompletableFuture<JsonNode> blocked = CompletableFuture.supplyAsync(() -> {
                    try {
                        return a.call("block", null);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertThat(blockedEntered.await(10, TimeUnit.SECONDS)).isTrue();
                assertThat(server.server.inFlight(uid)).isEqualTo(1);
                CompletableFuture<Boolean> queued = CompletableFuture.supplyAsync(() -> {
                    try {
                        return b.ping().pong();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                await(() -> server.server.queued(uid) == 1);
                assertThat(queued)
                        .as("the second request waits, it does not fail")
                        .isNotDone();
                assertThatThrownBy(c::ping)
                        .isInstanceOf(BusyException.class)
                        .hasMessageContaining("uid " + uid)
                        .satisfies(e -> assertThat(((BusyException) e).limit()).contains("maxQueuedPerCaller"));
                release.countDown();
                assertThat(blocked.get(10, TimeUnit.SECONDS).get("released").asBoolean())
                        .isTrue();
                assertThat(queued.get(10, TimeUnit.SECONDS)).isTrue();
                await(() -> server.server.inFlight(uid) == 0 && server.server.queued(uid) == 0);
                assertThat(c.ping().pong()).isTrue();
            }
        });
    }

    @Test
    void busy_clientRetriesWithBackoff_untilServed() {
        assertTimeoutPreemptively(LIMIT, () -> {
            start(TestServer.limits(1 << 20, 8, 1, Duration.ofMinutes(1), Duration.ofSeconds(10), Duration.ofSeconds(5))
                    .withMaxQueuedPerCaller(0));
            try (CustodyClient a = CustodyClient.connect(server.socket);
                    CustodyClient b = CustodyClient.connect(server.socket)) {
                CompletableFuture<JsonNode> blocked = CompletableFuture.supplyAsync(() -> {
                    try {
                        return a.call("block", null);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertThat(blockedEntered.await(10, TimeUnit.SECONDS)).isTrue();
                AtomicInteger told = new AtomicInteger();
                b.onBusyWait(e -> told.incrementAndGet());
                b.retryBusyFor(Duration.ofSeconds(20));
                CompletableFuture<Boolean> retried = CompletableFuture.supplyAsync(() -> {
                    try {
                        return b.ping().pong();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                await(() -> told.get() == 1);
                Thread.sleep(300);
                assertThat(retried)
                        .as("still retrying while the daemon says BUSY")
                        .isNotDone();
                release.countDown();
                assertThat(retried.get(10, TimeUnit.SECONDS)).isTrue();
                assertThat(told.get()).as("told once per call").isEqualTo(1);
                blocked.get(10, TimeUnit.SECONDS);
            }
        });
    }

    @Test
    void slowClient_partialLine_getsRequestTimeoutAndIsClosed() {
        assertTimeoutPreemptively(LIMIT, () -> {
            start(TestServer.limits(
                    1 << 20, 8, 4, Duration.ofMinutes(1), Duration.ofMillis(300), Duration.ofSeconds(5)));
            try (RawConnection c = new RawConnection(server.socket)) {
                c.send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"count\"");
                long t0 = System.nanoTime();
                JsonNode r = c.read();
                assertThat(r.at("/error/data/name").asText()).isEqualTo("REQUEST_TIMEOUT");
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0))
                        .isBetween(200L, 5_000L);
                assertThat(c.closedByPeer()).isTrue();
            }
            assertThat(counted.get()).isZero();
        });
    }

    @Test
    void slowClient_tricklingBytes_stillTimesOut() {
        assertTimeoutPreemptively(LIMIT, () -> {
            start(TestServer.limits(
                    1 << 20, 8, 4, Duration.ofMinutes(1), Duration.ofMillis(500), Duration.ofSeconds(5)));
            try (RawConnection c = new RawConnection(server.socket)) {
                CompletableFuture.runAsync(() -> {
                    try {
                        for (int i = 0; i < 40; i++) {
                            c.send("x");
                            Thread.sleep(50);
                        }
                    } catch (Exception stop) {
                        // closed by the daemon
                    }
                });
                assertThat(c.read().at("/error/data/name").asText()).isEqualTo("REQUEST_TIMEOUT");
            }
        });
    }

    @Test
    void idleClient_isClosedWithoutAnswer() {
        assertTimeoutPreemptively(LIMIT, () -> {
            start(TestServer.limits(
                    1 << 20, 8, 4, Duration.ofMillis(300), Duration.ofSeconds(5), Duration.ofSeconds(5)));
            try (RawConnection c = new RawConnection(server.socket)) {
                assertThat(c.call(PING).has("result")).isTrue();
                assertThat(c.closedByPeer()).isTrue();
            }
            await(() -> server.server.connectionCount() == 0);
        });
    }

    @Test
    void stop_letsTheRequestInFlightAnswer_closesIdleOnes_andRemovesTheSocket() {
        assertTimeoutPreemptively(LIMIT, () -> {
            start();
            RawConnection busy = new RawConnection(server.socket);
            RawConnection idle = new RawConnection(server.socket);
            assertThat(idle.call(PING).has("result")).isTrue();
            busy.send("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"block\"}\n");
            assertThat(blockedEntered.await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Void> stopping =
                    CompletableFuture.runAsync(() -> server.server.stop(Duration.ofSeconds(20)));
            assertThat(idle.closedByPeer()).as("idle connection closed at once").isTrue();
            await(() -> !Files.exists(server.socket, LinkOption.NOFOLLOW_LINKS));
            assertThatThrownBy(() -> CustodyClient.connect(server.socket))
                    .isInstanceOf(DaemonUnavailableException.class);
            assertThat(stopping).isNotDone();
            release.countDown();
            JsonNode r = busy.read();
            assertThat(r.get("id").asInt()).isEqualTo(7);
            assertThat(r.at("/result/released").asBoolean()).isTrue();
            stopping.get(10, TimeUnit.SECONDS);
            assertThat(busy.closedByPeer()).isTrue();
            busy.close();
            idle.close();
        });
    }

    @Test
    void stop_calledTwiceAtOnce_bothReturnOnceTheRequestInFlightAnswered() {
        // A SIGTERM stop and a close() racing: the second caller waits for the first without holding
        // the server's monitor, which the first needs to finish.
        assertTimeoutPreemptively(LIMIT, () -> {
            start();
            try (RawConnection busy = new RawConnection(server.socket)) {
                busy.send("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"block\"}\n");
                assertThat(blockedEntered.await(10, TimeUnit.SECONDS)).isTrue();
                CompletableFuture<Void> first =
                        CompletableFuture.runAsync(() -> server.server.stop(Duration.ofSeconds(20)));
                await(server.server::isStopping);
                CompletableFuture<Void> second =
                        CompletableFuture.runAsync(() -> server.server.stop(Duration.ofSeconds(20)));
                release.countDown();
                assertThat(busy.read().at("/result/released").asBoolean()).isTrue();
                first.get(10, TimeUnit.SECONDS);
                second.get(10, TimeUnit.SECONDS);
                assertThat(server.server.awaitStopped(Duration.ZERO)).isTrue();
            }
        });
    }

    @Test
    void stop_graceExceeded_interruptsAndCloses() {
        assertTimeoutPreemptively(LIMIT, () -> {
            start();
            try (RawConnection busy = new RawConnection(server.socket)) {
                busy.send("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"block\"}\n");
                assertThat(blockedEntered.await(10, TimeUnit.SECONDS)).isTrue();
                long t0 = System.nanoTime();
                server.server.stop(Duration.ofMillis(300));
                assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0))
                        .isLessThan(10);
                assertThat(busy.closedByPeer()).isTrue();
            }
        });
    }

    @Test
    void socketFile_hasConfiguredModeAndGroup() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Path p = dir.resolve("g.sock");
            var group = UnixAccounts.gidOf("daemon");
            try (ListenSocket s = ListenSocket.bind(
                    p,
                    PosixFilePermissions.fromString("rw-rw----"),
                    group.isPresent() ? java.util.Optional.of("daemon") : java.util.Optional.empty())) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)))
                        .isEqualTo("rw-rw----");
                if (group.isPresent()) {
                    assertThat(((Number) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS)).longValue())
                            .isEqualTo(group.getAsLong());
                }
                assertThat(s.activated()).isFalse();
                assertThat(s.path()).contains(p.toAbsolutePath());
            }
            assertThat(Files.exists(p, LinkOption.NOFOLLOW_LINKS))
                    .as("removed on close")
                    .isFalse();
        });
    }

    @Test
    void bind_unknownGroup_isExplained() {
        assertThatThrownBy(() -> ListenSocket.bind(
                        dir.resolve("x.sock"),
                        PosixFilePermissions.fromString("rw-rw----"),
                        java.util.Optional.of("no-such-group-custody")))
                .hasMessageContaining("socket group 'no-such-group-custody' does not exist");
        assertThat(Files.exists(dir.resolve("x.sock"), LinkOption.NOFOLLOW_LINKS))
                .isFalse();
    }

    @Test
    void bind_staleSocket_isReplaced_liveOne_andRegularFile_areRefused() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Path p = dir.resolve("s.sock");
            var stale = org.newsclub.net.unix.AFUNIXServerSocket.bindOn(p, false);
            stale.setDeleteOnClose(false);
            stale.close();
            assertThat(Files.exists(p, LinkOption.NOFOLLOW_LINKS)).isTrue();
            try (ListenSocket s =
                    ListenSocket.bind(p, PosixFilePermissions.fromString("rw-------"), java.util.Optional.empty())) {
                assertThat(s.serverSocket().isBound()).isTrue();
                assertThatThrownBy(() -> ListenSocket.bind(
                                p, PosixFilePermissions.fromString("rw-------"), java.util.Optional.empty()))
                        .hasMessageContaining("another process is listening");
                assertThat(Files.exists(p, LinkOption.NOFOLLOW_LINKS))
                        .as("the live socket is left alone")
                        .isTrue();
            }
            Path file = Files.writeString(dir.resolve("file.sock"), "not a socket");
            assertThatThrownBy(() -> ListenSocket.bind(
                            file, PosixFilePermissions.fromString("rw-------"), java.util.Optional.empty()))
                    .hasMessageContaining("is not a socket");
            assertThat(Files.readString(file)).isEqualTo("not a socket");
        });
    }
}
