package dev.custody.daemon.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.custody.daemon.policy.UnixAccounts;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.RawConnection;
import dev.custody.daemon.testing.Requires;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #11 property 3 with two real uids: a uid that no policy rule grants anything (here: nobody,
 * 65534, run through setpriv) tries to take every connection and hold it; it gets its small share,
 * its idle connections are closed within seconds, and the daemon's own uid is served throughout.
 * (Before the fair share the attacker held all maxConnections and the daemon's uid got BUSY.)
 */
@Requires({Capability.LINUX, Capability.ROOT, Capability.SETPRIV})
class FairShareTwoUidsTest {
    private static final long ATTACKER = 65534; // nobody
    private static final String PING = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
    /** Opens N connections as fast as it can, keeps those not refused, and reports when each is closed. */
    private static final String ATTACK = String.join(
            "\n",
            "import json, socket, sys, time",
            "path, n = sys.argv[1], int(sys.argv[2])",
            "kept, busy = [], 0",
            "for i in range(n):",
            "    s = socket.socket(socket.AF_UNIX)",
            "    s.connect(path)",
            "    s.settimeout(0.3)",
            "    try:",
            "        d = s.recv(4096)",
            "    except socket.timeout:",
            "        d = None",
            "    if d is not None and b'-32002' in d:",
            "        busy += 1",
            "        s.close()",
            "    else:",
            "        kept.append(s)",
            "print(json.dumps({'kept': len(kept), 'busy': busy}), flush=True)",
            "sys.stdin.readline()",
            "t0 = time.time()",
            "for s in kept:",
            "    s.settimeout(30)",
            "    try:",
            "        while s.recv(4096):",
            "            pass",
            "    except OSError:",
            "        pass",
            "print(json.dumps({'closedAfterSeconds': time.time() - t0}), flush=True)");

    @TempDir
    Path dir;

    private RpcServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(Duration.ofSeconds(5));
        }
    }

    @Test
    void noGrantUid_cannotLockOutTheDaemonUid() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
            Path socket = dir.resolve("custody.sock");
            ListenSocket listener =
                    ListenSocket.bind(socket, PosixFilePermissions.fromString("rw-rw-rw-"), Optional.empty());
            MethodRegistry registry = new MethodRegistry();
            registry.registerOpen(
                    "ping", (c, p) -> JsonNodeFactory.instance.objectNode().put("pong", true));
            long self = UnixAccounts.selfUid();
            ServerLimits limits = new ServerLimits(
                            1 << 20, 16, 4, 4, Duration.ofMinutes(5), Duration.ofSeconds(10), Duration.ofSeconds(5))
                    .withNoGrant(new ServerLimits.NoGrant(2, 1, 1, Duration.ofSeconds(1)));
            server = new RpcServer(
                    listener,
                    new Dispatcher(registry, DispatchHook.ALLOW_ALL),
                    limits,
                    c -> c.uid() == self ? CallerTier.RESERVED : CallerTier.NO_GRANT);
            server.start();

            Process attacker = new ProcessBuilder(
                            "setpriv",
                            "--reuid=" + ATTACKER,
                            "--regid=" + ATTACKER,
                            "--clear-groups",
                            "/usr/bin/python3",
                            "-c",
                            ATTACK,
                            socket.toString(),
                            "16")
                    .redirectErrorStream(true)
                    .start();
            BufferedReader out =
                    new BufferedReader(new InputStreamReader(attacker.getInputStream(), StandardCharsets.UTF_8));
            ObjectMapper m = new ObjectMapper();
            try {
                JsonNode first = m.readTree(out.readLine());
                assertThat(first.path("kept").asInt())
                        .as("connections the no-grant uid holds")
                        .isLessThanOrEqualTo(2);
                assertThat(first.path("busy").asInt())
                        .as("connections refused with BUSY")
                        .isGreaterThanOrEqualTo(14);
                assertThat(server.connectionCount(ATTACKER)).isLessThanOrEqualTo(2);

                // while the attacker holds what it got, the daemon's uid gets all the rest
                List<RawConnection> mine = new ArrayList<>();
                try {
                    for (int i = 0; i < 12; i++) {
                        RawConnection c = new RawConnection(socket);
                        mine.add(c);
                        assertThat(c.call(PING).path("result").path("pong").asBoolean())
                                .as("daemon uid connection " + i)
                                .isTrue();
                    }
                } finally {
                    for (RawConnection c : mine) {
                        c.close();
                    }
                }

                // and the attacker's idle connections are closed within seconds (noGrant.idleTimeout 1 s)
                attacker.getOutputStream().write('\n');
                attacker.getOutputStream().flush();
                JsonNode closed = m.readTree(out.readLine());
                assertThat(closed.path("closedAfterSeconds").asDouble()).isLessThan(5.0);
                assertThat(attacker.waitFor(10, TimeUnit.SECONDS)).isTrue();
            } finally {
                attacker.destroyForcibly();
            }
        });
    }
}
