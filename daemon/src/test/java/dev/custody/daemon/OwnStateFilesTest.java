package dev.custody.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custody.daemon.config.ConfigLoader;
import dev.custody.daemon.config.DaemonConfig;
import dev.custody.daemon.state.UntrustedFileException;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.testhsm.DaemonYaml;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files custodyd trusts are its own (issue #11, property 8): a state directory owned by another
 * uid, an audit log that is a symbolic link, an audit log owned by another user with mode 0666, or a
 * file in the state directory others may write, and custodyd refuses to start, naming the path; it
 * writes nothing through the link.
 */
@Requires({Capability.ROOT, Capability.LINUX})
class OwnStateFilesTest {
    private static final int NOBODY = 65534;

    @TempDir
    Path dir;

    private DaemonConfig config(String extra) throws Exception {
        return ConfigLoader.parse(
                DaemonYaml.in(dir).more(extra).text(), dir.resolve("custodyd.yaml"), ConfigLoader.Accounts.SYSTEM);
    }

    private void startOnceAndStop(DaemonConfig config) throws Exception {
        Daemon.start(config, Map.of(), List.of(), Clock.systemUTC()).stop();
    }

    @Test
    void start_stateDirOwnedByAnotherUid_refusedNamingIt() throws Exception {
        Path state = Files.createDirectory(
                dir.resolve("state"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setAttribute(state, "unix:uid", NOBODY);
        assertThatThrownBy(() -> Daemon.start(config(""), Map.of(), List.of(), Clock.systemUTC()))
                .isInstanceOfSatisfying(
                        UntrustedFileException.class, e -> assertThat(e.path()).isEqualTo(state))
                .hasMessageContaining(state + " is owned by uid " + NOBODY);
        assertThat(state.resolve("audit.log")).doesNotExist();
    }

    @Test
    void start_auditLogIsASymlink_refusedNamingIt_nothingWrittenThroughIt() throws Exception {
        DaemonConfig config = config("");
        startOnceAndStop(config);
        Path log = dir.resolve("state/audit.log");
        Path elsewhere = dir.resolve("elsewhere.log");
        Files.move(log, elsewhere);
        byte[] before = Files.readAllBytes(elsewhere);
        Files.createSymbolicLink(log, elsewhere);
        assertThatThrownBy(() -> Daemon.start(config, Map.of(), List.of(), Clock.systemUTC()))
                .isInstanceOfSatisfying(
                        UntrustedFileException.class, e -> assertThat(e.path()).isEqualTo(log))
                .hasMessageContaining(log + " is a symbolic link");
        assertThat(Files.readAllBytes(elsewhere)).isEqualTo(before);

        // configured outside the state directory: the audit log's own check (O_NOFOLLOW) refuses it too
        Path logs = Files.createDirectory(
                dir.resolve("logs"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.delete(log);
        Files.createSymbolicLink(logs.resolve("audit.log"), elsewhere);
        assertThatThrownBy(() -> Daemon.start(
                        config("audit:\n  path: " + logs.resolve("audit.log")), Map.of(), List.of(), Clock.systemUTC()))
                .isInstanceOfSatisfying(
                        UntrustedFileException.class, e -> assertThat(e.path()).isEqualTo(logs.resolve("audit.log")))
                .hasMessageContaining("is a symbolic link");
        assertThat(Files.readAllBytes(elsewhere)).isEqualTo(before);
    }

    @Test
    void start_auditLogOwnedByAnotherUserMode0666_refusedNamingIt() throws Exception {
        Path logs = Files.createDirectory(
                dir.resolve("logs"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path log = logs.resolve("audit.log");
        DaemonConfig config = config("audit:\n  path: " + log);
        startOnceAndStop(config);
        Files.setAttribute(log, "unix:uid", NOBODY);
        Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("rw-rw-rw-"));
        assertThatThrownBy(() -> Daemon.start(config, Map.of(), List.of(), Clock.systemUTC()))
                .isInstanceOfSatisfying(
                        UntrustedFileException.class, e -> assertThat(e.path()).isEqualTo(log))
                .hasMessageContaining(log + " is owned by uid " + NOBODY);
        Files.setAttribute(log, "unix:uid", 0);
        assertThatThrownBy(() -> Daemon.start(config, Map.of(), List.of(), Clock.systemUTC()))
                .isInstanceOfSatisfying(
                        UntrustedFileException.class, e -> assertThat(e.path()).isEqualTo(log))
                .hasMessageContaining(log + " is writable by group or others (mode rw-rw-rw-)");
        Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("rw-------"));
        // the audit log's directory too
        Files.setPosixFilePermissions(logs, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertThatThrownBy(() -> Daemon.start(config, Map.of(), List.of(), Clock.systemUTC()))
                .isInstanceOfSatisfying(
                        UntrustedFileException.class, e -> assertThat(e.path()).isEqualTo(logs));
        Files.setPosixFilePermissions(logs, PosixFilePermissions.fromString("rwx------"));
        startOnceAndStop(config);
    }

    @Test
    void start_fileInStateDirOwnedByAnotherUidOrWritableByOthers_refusedNamingIt() throws Exception {
        DaemonConfig config = config("");
        startOnceAndStop(config);
        Path planted = Files.writeString(dir.resolve("state/trust/planted.json"), "{}");
        Files.setAttribute(planted, "unix:uid", NOBODY);
        assertThatThrownBy(() -> Daemon.start(config, Map.of(), List.of(), Clock.systemUTC()))
                .isInstanceOfSatisfying(
                        UntrustedFileException.class, e -> assertThat(e.path()).isEqualTo(planted));
        Files.setAttribute(planted, "unix:uid", 0);
        Files.setPosixFilePermissions(planted, PosixFilePermissions.fromString("rw-rw-r--"));
        assertThatThrownBy(() -> Daemon.start(config, Map.of(), List.of(), Clock.systemUTC()))
                .isInstanceOfSatisfying(
                        UntrustedFileException.class, e -> assertThat(e.path()).isEqualTo(planted))
                .hasMessageContaining("chmod go-w");
    }
}
