package dev.custody.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void version_printsAndExitsZero() {
        assertThat(run("--version")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("custodyd ");
    }

    @Test
    void unknownArgument_isUsageError() {
        assertThat(run("--frobnicate")).isEqualTo(Main.EX_USAGE);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("unknown argument '--frobnicate'")
                .contains("usage:");
        assertThat(run("--config")).isEqualTo(Main.EX_USAGE);
    }

    @Test
    void badConfig_isConfigError_namingFileAndField() throws Exception {
        Path cfg = Files.writeString(dir.resolve("c.yaml"), "limits:\n  idleTimeout: forever\n");
        assertThat(run("--config", cfg.toString(), "--check-config")).isEqualTo(Main.EX_CONFIG);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains(cfg + ": limits.idleTimeout");
        assertThat(run("--config=" + dir.resolve("missing.yaml"))).isEqualTo(Main.EX_CONFIG);
    }

    @Test
    void checkConfig_validConfig_summarises() throws Exception {
        Path cfg = Files.writeString(dir.resolve("c.yaml"), "stateDir: " + dir + "/state\nsocket: {group: ~}\n");
        assertThat(run("-c", cfg.toString(), "--check-config")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("is valid")
                .contains("default policy")
                .contains(dir + "/state");
        assertThat(Files.exists(dir.resolve("state")))
                .as("--check-config changes nothing")
                .isFalse();
    }
}
