package dev.custody.daemon.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    private long entries() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void write_newFile_hasContentAndPrivateMode() throws IOException {
        Path f = dir.resolve("a.json");
        AtomicFiles.write(f, "{\"v\":1}".getBytes(StandardCharsets.UTF_8));
        assertThat(Files.readString(f)).isEqualTo("{\"v\":1}");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
                .isEqualTo("rw-------");
        assertThat(entries()).as("no temp file left").isEqualTo(1);
    }

    @Test
    void write_existingFile_isReplacedWholly() throws IOException {
        Path f = dir.resolve("a.json");
        AtomicFiles.write(f, "x".repeat(10_000).getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(f, "short".getBytes(StandardCharsets.UTF_8));
        assertThat(Files.readString(f)).isEqualTo("short");
        assertThat(entries()).isEqualTo(1);
    }

    @Test
    void write_customMode_isApplied() throws IOException {
        Path f = dir.resolve("pub.pem");
        AtomicFiles.write(f, new byte[] {1, 2, 3}, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
                .isEqualTo("rw-r--r--");
        assertThat(Files.readAllBytes(f)).containsExactly(1, 2, 3);
    }

    @Test
    void write_missingDirectory_failsAndLeavesNothing() {
        Path f = dir.resolve("missing/a.json");
        assertThatThrownBy(() -> AtomicFiles.write(f, new byte[] {1})).isInstanceOf(NoSuchFileException.class);
        assertThat(Files.exists(f)).isFalse();
    }

    @Test
    void write_targetIsDirectory_failsAndCleansTemp() throws IOException {
        Path d = Files.createDirectory(dir.resolve("taken"));
        Files.writeString(d.resolve("inside"), "keep");
        assertThatThrownBy(() -> AtomicFiles.write(d, new byte[] {1})).isInstanceOf(IOException.class);
        assertThat(Files.readString(d.resolve("inside"))).isEqualTo("keep");
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("taken");
        }
    }

    @Test
    void removeStaleTemps_deletesOnlyTempFiles() throws IOException {
        Files.writeString(dir.resolve(".op.json.0123456789abcdef.tmp"), "half");
        Files.writeString(dir.resolve("op.json"), "whole");
        Files.writeString(dir.resolve(".hidden"), "not ours");
        Files.writeString(dir.resolve("x.tmp"), "not ours either");
        assertThat(AtomicFiles.removeStaleTemps(dir)).isEqualTo(1);
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("op.json", ".hidden", "x.tmp");
        }
    }

    @Test
    void createDirectories_createsPrivateChainAndToleratesExisting() throws IOException {
        Path deep = dir.resolve("a/b/c");
        AtomicFiles.createDirectories(deep);
        AtomicFiles.createDirectories(deep);
        assertThat(Files.isDirectory(deep)).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("a/b"))))
                .isEqualTo("rwx------");
    }

    @Test
    void delete_removesAndReports() throws IOException {
        Path f = dir.resolve("gone");
        AtomicFiles.write(f, new byte[] {1});
        assertThat(AtomicFiles.delete(f)).isTrue();
        assertThat(AtomicFiles.delete(f)).isFalse();
        assertThat(Files.exists(f)).isFalse();
    }
}
