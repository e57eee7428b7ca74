package dev.custody.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CLI as CI runs it (no terminal), where no daemon is needed: arguments, usage errors, input refused before
 * connecting, an unreachable daemon, help texts. Everything a command does with custodyd is tested against a
 * real custodyd in client-it (CliRepoTest, CliKeysTest, CliDaemonErrorsTest, CliServerTest, ApiAgainstDaemonTest).
 */
class MainTest {
    private static final String GUN = "example.com/app";
    private static final String SHA = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"--pin=123456", "--pin", "--PIN=1", "--pin-code=1", "--passphrase=x", "--password=x"})
    void pinOnArgv_refusedBeforeParsingOrConnecting(String arg) {
        CliRun r = CliRun.offline("", "token", "unlock", "yubikey-1", arg, "123456");
        assertThat(r.status()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("is refused").contains("--pin-stdin").doesNotContain("123456");
        assertThat(r.err().lines()).hasSize(1);
    }

    @Test
    void pinAsExtraPositional_isAUsageError() {
        CliRun r = CliRun.offline("", "token", "unlock", "yubikey-1", "123456");
        assertThat(r.status()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).doesNotContain("123456").contains("unexpected argument");
    }

    @Test
    void tokenUnlock_noTerminalNoPinStdin_usage() {
        CliRun r = CliRun.offline("", "token", "unlock", "yubikey-1");
        assertThat(r.status()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).isEqualTo("custody: no terminal to prompt on: pipe the secret in and add --pin-stdin\n");
    }

    @Test
    void daemonNotRunning_exit3_saysWhatToDo() {
        Path none = dir.resolve("absent.sock");
        CliRun r = CliRun.run(
                "", Map.of("CUSTODY_SOCKET", none.toString()), dev.custody.client.api.CustodyApi::connect, "status");
        assertThat(r.status()).isEqualTo(ExitCodes.DAEMON_UNAVAILABLE);
        assertThat(r.err())
                .startsWith(
                        "custody: cannot reach custodyd at " + none + ": is it running? (systemctl status custodyd");
        assertThat(r.err().lines()).hasSize(1);
    }

    @Test
    void add_missingFile_oneLineExit1() {
        CliRun r = CliRun.offline("", "add", GUN, "v1", dir.resolve("nope").toString());
        assertThat(r.status()).isEqualTo(ExitCodes.ERROR);
        assertThat(r.err()).isEqualTo("custody: no such file: " + dir.resolve("nope") + "\n");
    }

    @Test
    void addBatch_badLine_usageNamesTheLine_nothingSent() {
        CliRun r = CliRun.offline("v1 6 " + SHA + "\nv2 six " + SHA + "\n", "add", GUN, "--batch", "-");
        assertThat(r.status()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).isEqualTo("custody: stdin:2: SIZE must be a number of bytes, got 'six'\n");
    }

    @Test
    void addhash_badDigest_usage() {
        CliRun r = CliRun.offline("", "addhash", GUN, "v1", "6", "--sha256", "abc");
        assertThat(r.status()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--sha256 must be a SHA-256 digest");
    }

    @Test
    void addhash_missingSha256_usage() {
        assertThat(CliRun.offline("", "addhash", GUN, "v1", "6").status()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void missingArguments_usageExit2_oneLine() {
        CliRun r = CliRun.offline("", "lookup", GUN);
        assertThat(r.status()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).isEqualTo("custody: Missing required parameter: 'TARGET' (see custody lookup --help)\n");
    }

    @Test
    void reset_withoutAll_usage() {
        CliRun r = CliRun.offline("", "reset", GUN);
        assertThat(r.status()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--all");
    }

    @Test
    void tlsCaCert_missingOrNotPem_oneLineExit1_beforeConnecting() throws IOException {
        CliRun r = CliRun.offline(
                "",
                "-s",
                "https://notary.example.com",
                "--tlscacert",
                dir.resolve("nope.pem").toString(),
                "list",
                GUN);
        assertThat(r.status()).isEqualTo(ExitCodes.ERROR);
        assertThat(r.err()).isEqualTo("custody: --tlscacert: no such file: " + dir.resolve("nope.pem") + "\n");
        Path notPem = Files.writeString(
                dir.resolve("key.pem"), "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
        CliRun bad = CliRun.offline("", "--tlscacert", notPem.toString(), "publish", GUN);
        assertThat(bad.status()).isEqualTo(ExitCodes.ERROR);
        assertThat(bad.err())
                .isEqualTo("custody: --tlscacert: " + notPem + " holds no PEM certificate (give the CA"
                        + " certificate of the Notary server, as for notary --tlscacert)\n");
    }

    @Test
    void help_everyCommandSaysOnlineOrOffline_andHasAnExample() {
        var cl = Main.commandLine(new CustodyCommand(null, s -> null));
        java.util.List<String> missing = new java.util.ArrayList<>();
        walk(cl, missing);
        assertThat(missing).isEmpty();
    }

    private static void walk(picocli.CommandLine cl, java.util.List<String> missing) {
        var spec = cl.getCommandSpec();
        String text = String.join(" ", spec.usageMessage().description());
        if (spec.subcommands().isEmpty()
                && !text.contains("Online")
                && !text.contains("Offline")
                && !text.contains("online")
                && !text.contains("offline")) {
            missing.add(spec.qualifiedName() + ": online/offline");
        }
        if (!String.join(" ", spec.usageMessage().footer()).contains("custody ")) {
            missing.add(spec.qualifiedName() + ": example");
        }
        cl.getSubcommands().forEach((name, sub) -> {
            if (sub.getCommandSpec().name().equals(name)) {
                walk(sub, missing);
            }
        });
    }
}
