package dev.custody.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custody.client.protocol.ApprovalRequiredException;
import dev.custody.client.protocol.NotFoundException;
import dev.custody.client.protocol.PinIncorrectException;
import dev.custody.client.protocol.PolicyDeniedException;
import dev.custody.client.protocol.TokenAbsentException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The CLI as CI runs it (no terminal), against a scripted daemon: arguments, requests, output, exit codes. */
class MainTest {
  private static final String GUN = "example.com/app";
  private static final String SHA = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

  @TempDir Path dir;
  private FakeDaemon daemon;

  @BeforeEach
  void start() throws IOException {
    daemon = new FakeDaemon(dir.resolve("custody.sock"));
  }

  @AfterEach
  void stop() throws IOException {
    daemon.close();
  }

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
  void tokenUnlock_pinFromStdin_travelsOnlyOverTheSocket() {
    daemon.on("token.unlock", "{\"token\":\"yubikey-1\",\"unlockedUntil\":\"2026-11-23T15:00:00Z\"}");
    CliRun r = CliRun.against(daemon, "123456\nrest", "token", "unlock", "yubikey-1", "--pin-stdin");
    assertThat(r.status()).isZero();
    assertThat(daemon.params("token.unlock").toString()).isEqualTo("{\"token\":\"yubikey-1\",\"pin\":\"123456\"}");
    assertThat(r.out()).isEqualTo("Token yubikey-1 unlocked until 2026-11-23T15:00:00Z\n");
  }

  @Test
  void tokenUnlock_noTerminalNoPinStdin_usage() {
    CliRun r = CliRun.against(daemon, "", "token", "unlock", "yubikey-1");
    assertThat(r.status()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).isEqualTo("custody: no terminal to prompt on: pipe the secret in and add --pin-stdin\n");
  }

  @Test
  void tokenUnlock_pinIncorrect_exit22WithTriesLeft() {
    daemon.fail("token.unlock", new PinIncorrectException("yubikey-1", 2, "token yubikey-1 rejected the PIN"));
    CliRun r = CliRun.against(daemon, "000000\n", "token", "unlock", "yubikey-1", "--pin-stdin");
    assertThat(r.status()).isEqualTo(ExitCodes.PIN_INCORRECT);
    assertThat(r.err()).startsWith("custody: token yubikey-1 rejected the PIN: 2 tries left").endsWith("\n");
    assertThat(r.err().lines()).hasSize(1);
  }

  @Test
  void keyGenerate_managementKeyRefused_hintNamesTheConfigNotThePin() {
    daemon.fail("key.generate", new PinIncorrectException("yk1", null, "token yk1: the YubiKey with serial 10000001"
        + " refused the PIV management key (3DES challenge-response failed)"));
    CliRun r = CliRun.against(daemon, "", "key", "generate", "--token", "yk1", "--slot", "9c");
    assertThat(r.status()).isEqualTo(ExitCodes.PIN_INCORRECT);
    assertThat(r.err()).contains("refused the PIV management key").contains("managementKey:")
        .doesNotContain("token unlock");
    assertThat(daemon.params("key.generate").get("slot").asText()).isEqualTo("9c");
  }

  @Test
  void errorCodes_mapToDocumentedExitStatus() {
    daemon.fail("repo.publish", new PolicyDeniedException("ci-team", "publish", GUN, "targets", "policy denies it"));
    assertThat(CliRun.against(daemon, "", "publish", GUN).status()).isEqualTo(10);
    daemon.fail("repo.publish", new ApprovalRequiredException("7f3a", "root signature needs approval"));
    CliRun r = CliRun.against(daemon, "", "publish", GUN);
    assertThat(r.status()).isEqualTo(11);
    assertThat(r.err()).contains("custody approve 7f3a");
    daemon.fail("repo.publish", new TokenAbsentException("yubikey-1", "token yubikey-1 is not present"));
    assertThat(CliRun.against(daemon, "", "publish", GUN).status()).isEqualTo(20);
    daemon.fail("repo.lookup", new NotFoundException("target", "nope", "no target nope in " + GUN));
    assertThat(CliRun.against(daemon, "", "lookup", GUN, "nope").status()).isEqualTo(4);
  }

  @Test
  void unknownMethod_saysDaemonDoesNotServeIt_exit8() {
    CliRun r = CliRun.against(daemon, "", "key", "list");
    assertThat(r.status()).isEqualTo(ExitCodes.UNSUPPORTED);
    assertThat(r.err()).isEqualTo("custody: custodyd at " + daemon.socket()
        + " does not serve 'key.list': upgrade custodyd or enable the extension that provides it\n");
  }

  @Test
  void daemonNotRunning_exit3_saysWhatToDo() {
    Path none = dir.resolve("absent.sock");
    CliRun r = CliRun.run("", Map.of("CUSTODY_SOCKET", none.toString()), dev.custody.client.api.CustodyApi::connect,
        "status");
    assertThat(r.status()).isEqualTo(ExitCodes.DAEMON_UNAVAILABLE);
    assertThat(r.err()).startsWith("custody: cannot reach custodyd at " + none
        + ": is it running? (systemctl status custodyd");
    assertThat(r.err().lines()).hasSize(1);
  }

  @Test
  void socketOption_overridesEnvironment() {
    daemon.on("token.list", "{\"tokens\":[]}");
    CliRun r = CliRun.run("", Map.of("CUSTODY_SOCKET", "/nonexistent"), dev.custody.client.api.CustodyApi::connect,
        "--socket", daemon.socket().toString(), "token", "list");
    assertThat(r.status()).isZero();
    CliRun after = CliRun.run("", Map.of("CUSTODY_SOCKET", "/nonexistent"), dev.custody.client.api.CustodyApi::connect,
        "token", "list", "--socket", daemon.socket().toString());
    assertThat(after.status()).isZero();
  }

  @Test
  void add_computesSizeAndDigestsLocally() throws IOException {
    Path f = Files.writeString(dir.resolve("f.txt"), "hello\n");
    daemon.on("repo.add", "{\"gun\":\"" + GUN + "\",\"staged\":1}");
    CliRun r = CliRun.against(daemon, "", "add", GUN, "v1", f.toString());
    assertThat(r.status()).isZero();
    assertThat(r.out()).isEqualTo("Addition of target \"v1\" to repository \"" + GUN + "\" staged for next publish.\n");
    var p = daemon.params("repo.add");
    assertThat(p.path("length").asLong()).isEqualTo(6);
    assertThat(p.path("sha256").asText()).isEqualTo(SHA);
    assertThat(p.path("sha512").asText()).hasSize(128);
    assertThat(p.has("publish")).isFalse();
    assertThat(p.has("role")).isFalse();
  }

  @Test
  void add_withRoleAndPublish_printsNotaryLines() throws IOException {
    Path f = Files.writeString(dir.resolve("f.txt"), "hello\n");
    daemon.on("repo.add", "{\"gun\":\"" + GUN + "\",\"staged\":0}");
    CliRun r = CliRun.against(daemon, "", "add", GUN, "v1", f.toString(), "-r", "targets/releases", "-p");
    assertThat(r.out()).isEqualTo("Addition of target \"v1\" by role targets/releases to repository \"" + GUN
        + "\" staged for next publish.\nAuto-publishing changes to " + GUN
        + "\nSuccessfully published changes for repository " + GUN + "\n");
    assertThat(daemon.params("repo.add").path("publish").asBoolean()).isTrue();
    assertThat(daemon.params("repo.add").path("role").asText()).isEqualTo("targets/releases");
  }

  @Test
  void add_missingFile_oneLineExit1() {
    CliRun r = CliRun.offline("", "add", GUN, "v1", dir.resolve("nope").toString());
    assertThat(r.status()).isEqualTo(ExitCodes.ERROR);
    assertThat(r.err()).isEqualTo("custody: no such file: " + dir.resolve("nope") + "\n");
  }

  @Test
  void addBatch_fromStdin_sendsOneAddBatch() {
    daemon.on("repo.addBatch", "{\"gun\":\"" + GUN + "\",\"staged\":2}");
    String in = "# artifacts\nv1 6 " + SHA + "\n\nv2\t7\t" + SHA.toUpperCase() + "\n";
    CliRun r = CliRun.against(daemon, in, "add", GUN, "--batch", "-", "-r", "targets/ci");
    assertThat(r.status()).isZero();
    var p = daemon.params("repo.addBatch");
    assertThat(p.path("role").asText()).isEqualTo("targets/ci");
    assertThat(p.path("targets").toString()).isEqualTo("[{\"name\":\"v1\",\"length\":6,\"sha256\":\"" + SHA
        + "\"},{\"name\":\"v2\",\"length\":7,\"sha256\":\"" + SHA + "\"}]");
    assertThat(r.out()).startsWith("Addition of 2 targets by role targets/ci to repository");
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
  void addhash_sendsCatalogParams() {
    daemon.on("repo.add", "{\"gun\":\"" + GUN + "\",\"staged\":1}");
    CliRun r = CliRun.against(daemon, "", "addhash", GUN, "v1", "6", "--sha256", SHA, "-p");
    assertThat(r.status()).isZero();
    assertThat(daemon.params("repo.add").toString()).isEqualTo("{\"gun\":\"" + GUN + "\",\"target\":\"v1\","
        + "\"length\":6,\"sha256\":\"" + SHA + "\",\"publish\":true}");
  }

  @Test
  void serverOption_sentAsTheServerParam_andDockerContentTrustServerForTrust() {
    daemon.on("repo.publish", "{\"gun\":\"" + GUN + "\",\"roles\":{}}");
    CliRun.against(daemon, "", "-s", "staging", "publish", GUN);
    assertThat(daemon.params("repo.publish").toString()).isEqualTo("{\"gun\":\"" + GUN + "\",\"server\":\"staging\"}");
    CliRun.against(daemon, "", "publish", GUN);
    assertThat(daemon.params("repo.publish").has("server")).isFalse();
    daemon.on("repo.list", "{\"gun\":\"docker.io/library/alpine\",\"targets\":[]}");
    daemon.on("delegation.list", "{\"gun\":\"docker.io/library/alpine\",\"delegations\":[]}");
    daemon.on("key.list", "{\"keys\":[]}");
    CliRun r = CliRun.run("", Map.of("CUSTODY_SOCKET", daemon.socket().toString(), "DOCKER_CONTENT_TRUST_SERVER",
        "hub"), dev.custody.client.api.CustodyApi::connect, "trust", "inspect", "alpine");
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(daemon.params("repo.list").path("server").asText()).isEqualTo("hub");
    assertThat(r.out()).startsWith("[\n    {\n        \"Name\": \"alpine\",\n        \"SignedTags\": [],");
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
  void list_printsNotaryTable_orJson() {
    daemon.on("repo.list", "{\"gun\":\"" + GUN + "\",\"targets\":[{\"name\":\"v1\",\"sha256\":\"" + SHA
        + "\",\"length\":6,\"role\":\"targets\"}]}");
    CliRun r = CliRun.against(daemon, "", "list", GUN);
    assertThat(r.out()).isEqualTo(NotaryOutputs.LIST);
    CliRun j = CliRun.against(daemon, "", "list", GUN, "-o", "json");
    assertThat(j.out()).isEqualTo("{\n  \"gun\": \"example.com/app\",\n  \"targets\": [\n    {\n      \"name\": \"v1\",\n"
        + "      \"sha256\": \"" + SHA + "\",\n      \"length\": 6,\n      \"role\": \"targets\"\n    }\n  ]\n}\n");
  }

  @Test
  void list_toleratesFieldsANewerDaemonAdds() {
    daemon.on("repo.list", "{\"gun\":\"" + GUN + "\",\"verifiedAt\":\"x\",\"targets\":[{\"name\":\"v1\",\"sha256\":\""
        + SHA + "\",\"length\":6,\"role\":\"targets\",\"custom\":{}}]}");
    assertThat(CliRun.against(daemon, "", "list", GUN).out()).isEqualTo(NotaryOutputs.LIST);
  }

  @Test
  void verify_matchEchoesContent_mismatchExit1() {
    daemon.on("repo.lookup", "{\"name\":\"v1\",\"sha256\":\"" + SHA + "\",\"length\":6,\"role\":\"targets\"}");
    CliRun ok = CliRun.against(daemon, "hello\n", "verify", GUN, "v1");
    assertThat(ok.status()).isZero();
    assertThat(new String(ok.rawOut(), StandardCharsets.UTF_8)).isEqualTo("hello\n");
    CliRun bad = CliRun.against(daemon, "hellO\n", "verify", GUN, "v1");
    assertThat(bad.status()).isEqualTo(ExitCodes.ERROR);
    assertThat(bad.err()).startsWith("custody: data not present in the trusted collection");
    assertThat(bad.rawOut()).isEmpty();
  }

  @Test
  void status_withoutGun_showsDaemon_withGun_showsChanges() {
    daemon.on("status", "{\"version\":\"0.1.0\",\"pid\":42,\"startedAt\":\"2026-11-23T14:00:00Z\",\"uptimeSeconds\":"
        + "75,\"socketActivated\":false,\"pendingOperations\":[],\"methods\":[\"ping\",\"status\"]}");
    CliRun r = CliRun.against(daemon, "", "status");
    assertThat(r.out()).isEqualTo("custodyd 0.1.0 (pid 42) on " + daemon.socket() + ", up 1m15s\n");
    daemon.on("repo.status", "{\"gun\":\"" + GUN + "\",\"changes\":[{\"action\":\"create\",\"scope\":\"targets\","
        + "\"type\":\"target\",\"path\":\"v1\"}]}");
    assertThat(CliRun.against(daemon, "", "status", GUN).out()).isEqualTo(NotaryOutputs.STATUS);
  }

  @Test
  void approve_offTerminalNeedsYes() {
    daemon.on("pending.show", "{\"id\":\"7f3a\",\"method\":\"key.rotate\",\"gun\":\"" + GUN + "\",\"role\":\"root\","
        + "\"requestedBy\":{\"uid\":1000,\"pid\":9},\"createdAt\":\"t0\",\"expiresAt\":\"t1\",\"summary\":\"root v3 → v4\"}");
    daemon.on("pending.approve", "{\"id\":\"7f3a\",\"state\":\"approved\"}");
    assertThat(CliRun.against(daemon, "", "approve", "7f3a").status()).isEqualTo(ExitCodes.USAGE);
    assertThat(daemon.methods()).doesNotContain("pending.approve");
    CliRun r = CliRun.against(daemon, "", "approve", "7f3a", "--yes");
    assertThat(r.status()).isZero();
    assertThat(r.out()).isEqualTo("Approved 7f3a: root v3 → v4\n");
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
    if (spec.subcommands().isEmpty() && !text.contains("Online") && !text.contains("Offline")
        && !text.contains("online") && !text.contains("offline")) {
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
