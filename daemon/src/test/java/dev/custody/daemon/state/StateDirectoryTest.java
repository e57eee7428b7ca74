package dev.custody.daemon.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDirectoryTest {
    @TempDir
    Path tmp;

    @Test
    void open_createsPrivateLayout() throws IOException {
        Path root = tmp.resolve("state");
        try (StateDirectory sd = StateDirectory.open(root)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root)))
                    .isEqualTo("rwx------");
            assertThat(sd.journalDir()).isDirectory();
            assertThat(sd.trustDir()).isDirectory();
            assertThat(sd.stagedDir()).isDirectory();
            assertThat(Files.readString(root.resolve("custodyd.lock")).trim())
                    .isEqualTo(Long.toString(ProcessHandle.current().pid()));
        }
    }

    @Test
    void open_twice_secondIsRefusedUntilFirstCloses() throws IOException {
        Path root = tmp.resolve("state");
        StateDirectory first = StateDirectory.open(root);
        assertThatThrownBy(() -> StateDirectory.open(root))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("in use by another custodyd");
        first.close();
        StateDirectory.open(root).close();
    }

    @Test
    void open_groupWritable_isRefused() throws IOException {
        Path root = Files.createDirectory(
                tmp.resolve("shared"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwx---")));
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxrwx---"));
        assertThatThrownBy(() -> StateDirectory.open(root))
                .hasMessageContaining("writable by group or others")
                .hasMessageContaining("chmod 0700");
    }
}
