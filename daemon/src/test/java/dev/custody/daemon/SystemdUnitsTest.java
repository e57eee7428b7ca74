package dev.custody.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custody.daemon.config.ConfigLoader;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.protocol.Protocol;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The units in systemd/: systemd accepts them, and they say what the daemon relies on. */
class SystemdUnitsTest {
    private static final List<String> UNITS =
            List.of("custodyd.socket", "custodyd.service", "custodyd-offline.service");

    @TempDir
    Path tmp;

    static Path systemdDir() {
        String p = System.getProperty("custody.systemd.dir");
        Path dir = p != null ? Path.of(p) : Path.of("..", "systemd");
        assertThat(dir.resolve("custodyd.service"))
                .as("systemd/ of the repository")
                .exists();
        return dir;
    }

    /** Key → values of one unit file (comments dropped, repeated keys kept in order). */
    static Map<String, List<String>> parse(Path unit) throws IOException {
        Map<String, List<String>> out = new LinkedHashMap<>();
        String section = "";
        for (String line : Files.readAllLines(unit, StandardCharsets.UTF_8)) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#") || l.startsWith(";")) {
                continue;
            }
            if (l.startsWith("[")) {
                section = l;
                continue;
            }
            int eq = l.indexOf('=');
            out.computeIfAbsent(section + l.substring(0, eq), k -> new ArrayList<>())
                    .add(l.substring(eq + 1));
        }
        return out;
    }

    record Result(int exit, String output) {}

    static Result run(Path cwd, List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd)
                .directory(cwd.toFile())
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }

    /** Copies the units into {@code to}, pointing ExecStart at an executable that exists. */
    private void stage(Path to) throws IOException {
        Path exe = Files.writeString(tmp.resolve("custodyd"), "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(exe, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String u : UNITS) {
            String text = Files.readString(systemdDir().resolve(u)).replace("/usr/bin/custodyd", exe.toString());
            Files.writeString(to.resolve(u), text);
        }
    }

    @Test
    @Requires(Capability.SYSTEMD_ANALYZE)
    void systemdAnalyzeVerify_acceptsTheUnitsWithoutAWord() throws Exception {
        Path units = Files.createDirectory(tmp.resolve("units"));
        stage(units);
        List<String> cmd = new ArrayList<>(List.of("systemd-analyze", "verify", "--man=no"));
        cmd.addAll(UNITS);
        Result r = run(units, cmd);
        assertThat(r.exit()).as(r.output()).isZero();
        assertThat(r.output()).as("every warning of systemd-analyze counts").isEmpty();
    }

    @Test
    @Requires(Capability.SYSTEMD_ANALYZE)
    void systemdAnalyzeVerify_reportsATypo_soTheCheckAboveMeansSomething() throws Exception {
        Path units = Files.createDirectory(tmp.resolve("units"));
        stage(units);
        Path svc = units.resolve("custodyd.service");
        Files.writeString(svc, Files.readString(svc).replace("Type=notify", "Type=notyfy"));
        Result r = run(units, List.of("systemd-analyze", "verify", "--man=no", "custodyd.service"));
        assertThat(r.output()).contains("notyfy");
    }

    @Test
    @Requires(Capability.SYSTEMD_ANALYZE)
    void sysusersAndTmpfiles_applyToAScratchRoot() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("root/etc")).getParent();
        Result users = run(
                tmp,
                List.of(
                        "systemd-sysusers",
                        "--root=" + root,
                        systemdDir()
                                .resolve("sysusers.d/custody.conf")
                                .toAbsolutePath()
                                .toString()));
        assertThat(users.exit()).as(users.output()).isZero();
        assertThat(Files.readString(root.resolve("etc/passwd")))
                .contains("custody:x:")
                .contains(":/var/lib/custody:");
        String groups = Files.readString(root.resolve("etc/group"));
        assertThat(groups).contains("custody:x:").contains(ConfigLoader.DEFAULT_CUSTODIAN_GROUP + ":x:");
        Result files = run(
                tmp,
                List.of(
                        "systemd-tmpfiles",
                        "--root=" + root,
                        "--create",
                        systemdDir()
                                .resolve("tmpfiles.d/custody.conf")
                                .toAbsolutePath()
                                .toString()));
        assertThat(files.exit()).as(files.output()).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("var/lib/custody"))))
                .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(
                        Files.getPosixFilePermissions(root.resolve("etc/custody/credentials"))))
                .isEqualTo("rwx------");
    }

    @Test
    void socketUnit_matchesTheProtocolDefaults() throws IOException {
        Map<String, List<String>> s = parse(systemdDir().resolve("custodyd.socket"));
        assertThat(s.get("[Socket]ListenStream")).containsExactly(Protocol.DEFAULT_SOCKET.toString());
        assertThat(s.get("[Socket]SocketMode")).containsExactly("0660");
        assertThat(s.get("[Socket]SocketGroup")).containsExactly(ConfigLoader.DEFAULT_SOCKET_GROUP);
    }

    @Test
    void serviceUnit_isNotifyTypeAndHardened() throws IOException {
        Map<String, List<String>> s = parse(systemdDir().resolve("custodyd.service"));
        assertThat(s.get("[Service]Type")).containsExactly("notify");
        assertThat(s.get("[Service]User")).containsExactly("custody");
        assertThat(s.get("[Service]StateDirectory")).containsExactly("custody");
        assertThat(s.get("[Service]RuntimeDirectory")).containsExactly("custody");
        assertThat(s.get("[Service]RuntimeDirectoryPreserve"))
                .as("the socket lives there")
                .containsExactly("yes");
        assertThat(s.get("[Service]LoadCredential")).singleElement().asString().startsWith("custody-pin:");
        assertThat(s.get("[Service]SuccessExitStatus")).containsExactly("143");
        assertThat(s.get("[Service]NoNewPrivileges")).containsExactly("yes");
        assertThat(s.get("[Service]ProtectSystem")).containsExactly("strict");
        assertThat(s.get("[Service]ProtectHome")).containsExactly("yes");
        assertThat(s.get("[Service]PrivateTmp")).containsExactly("yes");
        assertThat(s.get("[Service]RestrictAddressFamilies")).containsExactly("AF_UNIX AF_INET AF_INET6");
        assertThat(s.get("[Service]DeviceAllow")).contains("char-usb_device rw", "char-hidraw rw");
        assertThat(s.get("[Service]MemoryDenyWriteExecute")).containsExactly("no");
        assertThat(s.get("[Service]SystemCallFilter")).contains("@system-service");
        assertThat(s).as("PrivateUsers would hide callers' uids").doesNotContainKey("[Service]PrivateUsers");
        String text = Files.readString(systemdDir().resolve("custodyd.service"));
        assertThat(text)
                .as("MemoryDenyWriteExecute=no is explained")
                .containsPattern("(?s)#[^\\n]*JIT.*MemoryDenyWriteExecute=no");
    }

    @Test
    void offlineUnit_hasNoNetwork() throws IOException {
        Map<String, List<String>> s = parse(systemdDir().resolve("custodyd-offline.service"));
        assertThat(s.get("[Service]Type")).containsExactly("notify");
        assertThat(s.get("[Service]PrivateNetwork")).containsExactly("yes");
        assertThat(s.get("[Service]RestrictAddressFamilies")).containsExactly("AF_UNIX");
        assertThat(s.get("[Service]IPAddressDeny")).containsExactly("any");
        assertThat(s.get("[Unit]Conflicts"))
                .singleElement()
                .asString()
                .contains("custodyd.service")
                .contains("custodyd.socket");
    }
}
