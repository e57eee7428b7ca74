package dev.custody.testhsm.piv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The emulator end to end with real programs: pcscd in its own mount namespace, vpcd, and Yubico's
 * ykcs11 inside OpenSC's pkcs11-tool (a child process given {@link YubikeyEmulator#env()}).
 */
@RequiresYubikeyEmulator
class YubikeyEmulatorTest {
    private static final Duration LIMIT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    /** Runs a program with {@code env} added (or PCSCLITE_CSOCK_NAME removed when env is null); stdout+stderr. */
    private static String run(Map<String, String> env, String... command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("yk-run-", ".log");
        try {
            ProcessBuilder pb =
                    new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            if (env == null) {
                pb.environment().remove(YubikeyEmulator.SOCKET_VARIABLE);
            } else {
                pb.environment().putAll(env);
            }
            Process p = pb.start();
            p.getOutputStream().close();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("timed out: " + String.join(" ", command));
            }
            return Files.readString(log, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static String listTokens(Map<String, String> env) throws IOException, InterruptedException {
        return run(env, "pkcs11-tool", "--module", YubikeyEmulator.YKCS11.toString(), "--list-token-slots");
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("0.0.0.0", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void start_twoCards_ykcs11SeesBothSerials_closeStopsPcscdAndFreesThePorts() {
        assertTimeoutPreemptively(LIMIT, () -> {
            YubikeyEmulator yk = YubikeyEmulator.builder()
                    .runDirectory(tmp.resolve("run"))
                    .card(PivCard.builder(10000001))
                    .card(PivCard.builder(10000002))
                    .start();
            long pid;
            List<Integer> ports = new ArrayList<>();
            try {
                assertThat(yk.socket())
                        .isEqualTo(tmp.resolve("run").resolve("pcscd.comm"))
                        .exists();
                assertThat(yk.env())
                        .containsEntry("PCSCLITE_CSOCK_NAME", yk.socket().toString());
                assertThat(yk.isPcscdAlive()).isTrue();
                pid = yk.pcscdPid();
                ports.add(yk.port(10000001));
                ports.add(yk.port(10000002));
                assertThat(ports.get(1)).isEqualTo(ports.get(0) + 1);
                assertThat(IsolatedPcscd.listeningPorts(pid)).containsAll(ports);
                assertThat(yk.readerName(10000001)).isEqualTo("Yubico YubiKey OTP+FIDO+CCID 00 00");
                assertThat(yk.readerName(10000002)).isEqualTo("Yubico YubiKey OTP+FIDO+CCID 00 01");

                String out = listTokens(yk.env());
                assertThat(out)
                        .contains(
                                "serial num         : 10000001",
                                "serial num         : 10000002",
                                "token label        : YubiKey PIV #10000001",
                                "token model        : YubiKey YK5",
                                "Yubico YubiKey OTP+FIDO+CCID 00 01");
                // ykcs11 read version and serial with GET VERSION / GET SERIAL after SELECT
                assertThat(yk.card(10000001).commandLog())
                        .startsWith("00A40400 -> 9000", "00200080 -> 63C3", "00FD0000 -> 9000", "00F80000 -> 9000");
            } finally {
                yk.close();
            }
            assertThat(yk.isPcscdAlive()).isFalse();
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                    .isFalse();
            assertThat(yk.socket()).doesNotExist();
            for (int p : ports) {
                assertThat(bindable(p)).as("port " + p + " is free again").isTrue();
            }
        });
    }

    @Test
    void otherProcesses_doNotSeeTheEmulatedCards() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (YubikeyEmulator yk = YubikeyEmulator.builder()
                    .runDirectory(tmp.resolve("run"))
                    .card(PivCard.builder(10000011))
                    .start()) {
                assertThat(listTokens(yk.env())).contains("serial num         : 10000011");
                // the default socket (/run/pcscd/pcscd.comm) is a system pcscd or nothing: never these readers
                assertThat(listTokens(null)).doesNotContain("10000011");
                assertThat(yk.socket()).isNotEqualTo(Path.of("/run/pcscd/pcscd.comm"));
            }
        });
    }

    @Test
    void removeAndInsert_theReaderSeesTheCardGoAndComeBack() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (YubikeyEmulator yk = YubikeyEmulator.builder()
                    .runDirectory(tmp.resolve("run"))
                    .card(PivCard.builder(10000021))
                    .card(PivCard.builder(10000022))
                    .start()) {
                yk.remove(10000022);
                assertThat(yk.isInserted(10000022)).isFalse();
                String out = "";
                for (int i = 0; i < 40; i++) { // pcscd polls vpcd about every 0.4 s
                    out = listTokens(yk.env());
                    if (!out.contains("10000022")) {
                        break;
                    }
                    Thread.sleep(100);
                }
                assertThat(out).contains("10000021").doesNotContain("10000022");
                yk.insert(10000022);
                assertThat(yk.isInserted(10000022)).isTrue();
                assertThat(listTokens(yk.env())).contains("10000021", "10000022");
            }
        });
    }

    @Test
    void threeCards_aSecondReaderEntryWithItsOwnDriverCopyAndName() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (YubikeyEmulator yk = YubikeyEmulator.start(10000031, 10000032, 10000033)) {
                assertThat(yk.readerName(10000033)).isEqualTo("Yubico YubiKey OTP+FIDO+CCID 2 00 00");
                String out = listTokens(yk.env());
                assertThat(out)
                        .contains(
                                "serial num         : 10000031",
                                "serial num         : 10000032",
                                "serial num         : 10000033",
                                "Yubico YubiKey OTP+FIDO+CCID 2 00 00");
                assertThat(yk.readers()).hasSize(3);
            }
        });
    }

    @Test
    void runDirectoryInUse_isRefused_andTheFirstEmulatorKeepsWorking() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Path dir = tmp.resolve("run");
            try (YubikeyEmulator first = YubikeyEmulator.builder()
                    .runDirectory(dir)
                    .card(PivCard.builder(10000041))
                    .start()) {
                assertThatThrownBy(() -> YubikeyEmulator.builder()
                                .runDirectory(dir)
                                .card(PivCard.builder(10000042))
                                .start())
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining(dir.toString());
                assertThat(listTokens(first.env())).contains("10000041");
                assertThatThrownBy(() -> YubikeyEmulator.builder()
                                .card(PivCard.builder(1))
                                .card(PivCard.builder(1))
                                .start())
                        .isInstanceOf(IllegalArgumentException.class);
                assertThatThrownBy(() -> first.card(999)).isInstanceOf(IllegalArgumentException.class);
            }
        });
    }
}
