package dev.custody.daemon.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.net.DatagramPacket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

class SdNotifyTest {
    @TempDir
    Path dir;

    private static String receive(AFUNIXDatagramSocket s) throws IOException {
        DatagramPacket p = new DatagramPacket(new byte[4096], 4096);
        s.receive(p);
        return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
    }

    @Test
    void fromEnvironment_unset_isEmpty() throws IOException {
        assertThat(SdNotify.fromEnvironment(Map.of())).isEmpty();
        assertThat(SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", ""))).isEmpty();
    }

    @Test
    void ready_andStopping_reachAPathSocket() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Path p = dir.resolve("notify");
            try (AFUNIXDatagramSocket systemd = AFUNIXDatagramSocket.newInstance()) {
                systemd.bind(AFUNIXSocketAddress.of(p));
                systemd.setSoTimeout(10_000);
                Optional<SdNotify> n = SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", p.toString()));
                assertThat(n).isPresent();
                try (SdNotify notify = n.get()) {
                    notify.ready("serving on /run/custody/custody.sock");
                    assertThat(receive(systemd))
                            .isEqualTo("READY=1\nSTATUS=serving on /run/custody/custody.sock\nMAINPID="
                                    + ProcessHandle.current().pid());
                    notify.stopping("bye\nnow");
                    assertThat(receive(systemd)).isEqualTo("STOPPING=1\nSTATUS=bye now");
                }
            }
        });
    }

    @Test
    void status_reachesAnAbstractSocket() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            String name = "custody-test-notify-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
            try (AFUNIXDatagramSocket systemd = AFUNIXDatagramSocket.newInstance()) {
                systemd.bind(AFUNIXSocketAddress.inAbstractNamespace(name));
                systemd.setSoTimeout(10_000);
                try (SdNotify notify = SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", "@" + name))
                        .orElseThrow()) {
                    notify.status("3 connections");
                    assertThat(receive(systemd)).isEqualTo("STATUS=3 connections");
                }
            }
        });
    }

    @Test
    void listenFds_onlyForThisProcess() {
        assertThat(SocketActivation.listenFds(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "1"), 42))
                .contains(1);
        assertThat(SocketActivation.listenFds(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "2"), 42))
                .contains(2);
        assertThat(SocketActivation.listenFds(Map.of("LISTEN_PID", "41", "LISTEN_FDS", "1"), 42))
                .isEmpty();
        assertThat(SocketActivation.listenFds(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "0"), 42))
                .isEmpty();
        assertThat(SocketActivation.listenFds(Map.of("LISTEN_PID", "x", "LISTEN_FDS", "1"), 42))
                .isEmpty();
        assertThat(SocketActivation.listenFds(Map.of("LISTEN_FDS", "1"), 42)).isEmpty();
    }
}
