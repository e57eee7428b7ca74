package dev.custody.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.audit.AuditEntry;
import dev.custody.daemon.audit.AuditLog;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.daemon.testing.TestClasspath;
import dev.custody.protocol.StatusResult;
import dev.custody.testhsm.DaemonYaml;
import java.io.IOException;
import java.net.DatagramPacket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** custodyd as a real process: sd_notify, SIGTERM, socket activation. */
@Requires(Capability.LINUX)
class DaemonProcessTest {
    private static final Duration LIMIT = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    private AFUNIXDatagramSocket notifySocket;
    private Path notifyPath;
    private Path config;
    private Process process;

    @BeforeEach
    void setUp() throws IOException {
        notifyPath = dir.resolve("notify");
        notifySocket = AFUNIXDatagramSocket.newInstance();
        notifySocket.bind(AFUNIXSocketAddress.of(notifyPath));
        notifySocket.setSoTimeout(30_000);
        config = DaemonYaml.in(dir).write();
    }

    @AfterEach
    void tearDown() throws IOException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
        notifySocket.close();
    }

    private String nextNotification() throws IOException {
        DatagramPacket p = new DatagramPacket(new byte[4096], 4096);
        notifySocket.receive(p);
        return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
    }

    private Process start(List<String> prefix) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(
                TestClasspath.java(),
                "-cp",
                TestClasspath.asString(),
                Main.class.getName(),
                "--config",
                config.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectOutput(dir.resolve("stdout.log").toFile())
                .redirectError(dir.resolve("stderr.log").toFile());
        pb.environment().put("NOTIFY_SOCKET", notifyPath.toString());
        pb.environment().remove("LISTEN_PID");
        pb.environment().remove("LISTEN_FDS");
        process = pb.start();
        return process;
    }

    private String stderr() throws IOException {
        return Files.readString(dir.resolve("stderr.log"));
    }

    private List<String> auditMethods() throws IOException {
        try (AuditLog a = AuditLog.open(dir.resolve("state/audit.log"), Clock.systemUTC())) {
            assertThat(a.verify().intact()).isTrue();
            return a.tail(100).stream()
                    .map(AuditEntry::record)
                    .map(r -> r.method())
                    .toList();
        }
    }

    @Test
    void custodyd_notifiesReady_servesAndStopsCleanlyOnSigterm() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Process p = start(List.of());
            String ready = nextNotification();
            assertThat(ready).as(stderr()).startsWith("READY=1\n").contains("MAINPID=" + p.pid());
            Path sock = dir.resolve("run/custody.sock");
            try (CustodyClient c = CustodyClient.connect(sock, Duration.ofSeconds(20))) {
                StatusResult s = c.status();
                assertThat(s.pid()).isEqualTo(p.pid());
                assertThat(s.socketActivated()).isFalse();
                assertThat(c.ping().pong()).isTrue();
            }
            p.destroy(); // SIGTERM
            assertThat(nextNotification()).startsWith("STOPPING=1");
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(stderr()).isEqualTo(143);
            assertThat(Files.exists(sock, LinkOption.NOFOLLOW_LINKS)).isFalse();
            assertThat(stderr())
                    .as("log lines survive JVM shutdown")
                    .contains("stopping")
                    .contains("stopped");
            assertThat(auditMethods()).containsExactly("daemon.start", "daemon.stop");
        });
    }

    @Test
    @Requires({Capability.LINUX, Capability.SYSTEMD_SOCKET_ACTIVATE})
    void custodyd_socketActivated_servesTheInheritedSocket() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Path activated = dir.resolve("activated.sock");
            // systemd-socket-activate passes on only the variables named with -E
            Process p = start(List.of(
                    "systemd-socket-activate", "-l", activated.toString(), "-E", "NOTIFY_SOCKET=" + notifyPath));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!Files.exists(activated, LinkOption.NOFOLLOW_LINKS)) {
                assertThat(System.nanoTime())
                        .as("systemd-socket-activate listens")
                        .isLessThan(deadline);
                Thread.sleep(20);
            }
            try (CustodyClient c = CustodyClient.connect(activated, Duration.ofSeconds(60))) {
                StatusResult s = c.status(); // this connection makes systemd-socket-activate exec custodyd
                assertThat(s.socketActivated()).as(stderr()).isTrue();
                assertThat(s.pid()).isEqualTo(p.pid());
            }
            assertThat(nextNotification()).startsWith("READY=1\nSTATUS=serving on socket from systemd");
            assertThat(Files.exists(dir.resolve("run/custody.sock"), LinkOption.NOFOLLOW_LINKS))
                    .as("the configured path is not bound when activated")
                    .isFalse();
            p.destroy();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(stderr()).isEqualTo(143);
            assertThat(Files.exists(activated, LinkOption.NOFOLLOW_LINKS))
                    .as("systemd's socket file is not ours to delete")
                    .isTrue();
        });
    }
}
