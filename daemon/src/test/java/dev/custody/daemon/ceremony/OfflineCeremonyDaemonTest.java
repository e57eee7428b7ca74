package dev.custody.daemon.ceremony;

import static dev.custody.daemon.repo.testing.RepoTestbed.params;
import static dev.custody.daemon.repo.testing.RepoTestbed.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.Daemon;
import dev.custody.daemon.StandardExtensions;
import dev.custody.daemon.config.ConfigLoader;
import dev.custody.daemon.config.DaemonConfig;
import dev.custody.daemon.repo.testing.RepoTestbed;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.daemon.testing.TestUser;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.ErrorCode;
import dev.custody.testhsm.DaemonYaml;
import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryList;
import dev.custody.testhsm.SoftHsm;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signed;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full air-gapped ceremony between two custodyd instances in this JVM, each with its own state directory and
 * its own SoftHSM2 tokens: the online one talks to a real notary-server, the offline one has no server at all.
 * A 2-of-3 root (alice's and bob's tokens, which the offline daemon holds, and carol's) is made with
 * {@code repo.init}; carol's token is lost and dave's new key replaces it through {@code ceremony.prepare}
 * (online) → {@code ceremony.sign} (offline) → {@code ceremony.publish} (online); the real notary client that
 * cached root v1 follows. Tampered, other-GUN and stale bundles are refused through the socket; the root is
 * re-signed as a ceremony too.
 */
@Requires(Capability.LINUX)
class OfflineCeremonyDaemonTest {
    private static final Duration LIMIT = Duration.ofMinutes(4);

    @TempDir
    Path dir;

    private final List<Daemon> daemons = new ArrayList<>();

    @AfterEach
    void stop() {
        daemons.forEach(Daemon::stop);
    }

    /** Starts a daemon in {@code home} over {@code tokens} (name → token); {@code serverUrl} null = no server. */
    private DaemonConfig start(Path home, Map<String, SoftHsm.Token> tokens, String serverUrl) throws Exception {
        return start(home, tokens, serverUrl, "");
    }

    private DaemonConfig start(Path home, Map<String, SoftHsm.Token> tokens, String serverUrl, String extra)
            throws Exception {
        Files.createDirectories(home);
        DaemonYaml yaml = DaemonYaml.in(home).limit("maxRequestBytes", "16MiB");
        for (Map.Entry<String, SoftHsm.Token> e : tokens.entrySet()) {
            Path pin = home.resolve("pin-" + e.getKey());
            Files.writeString(pin, e.getValue().userPin() + "\n");
            yaml.token(e.getKey(), SoftHsm.MODULE, e.getValue().label(), "file:" + pin);
        }
        if (serverUrl != null) {
            yaml.server("default", serverUrl);
        }
        DaemonConfig config = ConfigLoader.parse(
                yaml.more(extra).text(), home.resolve("custodyd.yaml"), ConfigLoader.Accounts.SYSTEM);
        daemons.add(Daemon.start(config, Map.of(), StandardExtensions.create(Map.of()), Clock.systemUTC()));
        return config;
    }

    private static SoftHsm.Token token(String holder) throws Exception {
        return SoftHsm.forThisProcess()
                .createToken(
                        "cer-" + holder + "-" + UUID.randomUUID().toString().substring(0, 6));
    }

    record Cli(int exit, String out, String err) {}

    /** Runs {@code custody ceremony ARGS} in this JVM, through the whole command tree as the CLI does. */
    private static Cli cli(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        String[] full = new String[args.length + 1];
        full[0] = "ceremony";
        System.arraycopy(args, 0, full, 1, args.length);
        int code = dev.custody.client.cli.Main.run(
                full, java.util.Map.of(), new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true));
        return new Cli(code, out.toString(), err.toString());
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    @Test
    void ceremony_replaceLostRootKey_offlineSigned_listedByNotary_andBadBundlesRefused() {
        assertTimeoutPreemptively(LIMIT, () -> {
            String gun = RepoTestbed.newGun("ceremony");
            Map<String, SoftHsm.Token> offTokens = new LinkedHashMap<>();
            offTokens.put("alice", token("alice"));
            offTokens.put("bob", token("bob"));
            offTokens.put("dave", token("dave"));
            SoftHsm.Token carol = token("carol");
            SoftHsm.Token onlineToken = token("online"); // every token exists before the module is first initialised
            Path off = dir.resolve("offline");
            Path on = dir.resolve("online");

            // offline: no server; root keys are born on alice's and bob's tokens
            DaemonConfig offConfig = start(off, offTokens, null);
            try (CustodyClient offline =
                    CustodyClient.connect(offConfig.socket().path())) {
                String alice = offline.call("key.generate", params("role", "root", "gun", gun, "token", "alice"))
                        .get("keyId")
                        .asText();
                String bob = offline.call("key.generate", params("role", "root", "gun", gun, "token", "bob"))
                        .get("keyId")
                        .asText();
                assertThatThrownBy(
                                () -> offline.call("ceremony.prepare", params("gun", gun, "operation", "resign-root")))
                        .isInstanceOfSatisfying(
                                CustodyException.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.BAD_REQUEST))
                        .hasMessageContaining("no Notary server is configured");

                // online: the init ceremony happens with all three root tokens plugged in (carol's only ever here);
                // alice's and bob's keys come with their tokens and are adopted there (key.adopt), nothing copied
                Map<String, SoftHsm.Token> onTokens = new LinkedHashMap<>();
                onTokens.put("online", onlineToken);
                onTokens.put("alice", offTokens.get("alice"));
                onTokens.put("bob", offTokens.get("bob"));
                onTokens.put("carol", carol);
                DaemonConfig onConfig = start(on, onTokens, RepoTestbed.server().url());
                try (CustodyClient online =
                        CustodyClient.connect(onConfig.socket().path())) {
                    online.call("key.adopt", params("token", "alice", "keyId", alice, "role", "root", "gun", gun));
                    online.call("key.adopt", params("token", "bob", "keyId", bob, "role", "root", "gun", gun));
                    String carolKey = online.call("key.generate", params("role", "root", "gun", gun, "token", "carol"))
                            .get("keyId")
                            .asText();
                    JsonNode init = online.call(
                            "repo.init",
                            params(
                                    "gun",
                                    gun,
                                    "rootKeyIds",
                                    List.of(alice, bob, carolKey),
                                    "rootThreshold",
                                    2,
                                    "token",
                                    "online"));
                    assertThat(init.get("rootKeyIds")).hasSize(3);
                    online.call("repo.add", target(gun, "v1", "one").put("publish", true));
                    NotaryCli cached =
                            NotaryCli.create(Files.createTempDirectory(dir, "notary-cached-"), RepoTestbed.server());
                    assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");
                    byte[] root1 = Files.readAllBytes(cached.metadataFile(gun, "root"));
                    Root r1 = (Root) Signed.parse(root1, "root").signed();
                    assertThat(r1.keysOf("root")).hasSize(3);
                    assertThat(r1.role("root").threshold()).isEqualTo(2);

                    // the offline custodians pin root v1 (explicit operator step), and dave's new key gets its
                    // certificate
                    JsonNode pinned = offline.call("ceremony.trust", params("gun", gun, "root", b64(root1)));
                    assertThat(pinned.get("rootVersion").asInt()).isEqualTo(1);
                    JsonNode daveCert = offline.call(
                            "ceremony.rootCert",
                            params(
                                    "keyId",
                                    offline.call("key.generate", params("role", "root", "gun", gun, "token", "dave"))
                                            .get("keyId")
                                            .asText(),
                                    "gun",
                                    gun));

                    // carol's token is lost: prepare online, sign offline, publish online
                    JsonNode prepared = online.call(
                            "ceremony.prepare",
                            params(
                                    "gun",
                                    gun,
                                    "operation",
                                    "replace-root-key",
                                    "lostKeyId",
                                    carolKey,
                                    "newKey",
                                    daveCert.get("certificate").asText()));
                    assertThat(prepared.get("summary").get(0).asText()).isEqualTo(gun + ": rotate-root");
                    assertThat(prepared.get("newRootVersion").asInt()).isEqualTo(2);
                    JsonNode signed = offline.call(
                            "ceremony.sign",
                            params("bundle", prepared.get("bundle").asText()));
                    assertThat(signed.get("summary")).isEqualTo(prepared.get("summary"));
                    assertThat(signed.get("signedBy")).hasSize(3); // alice, bob (old and new root), dave (new root)
                    assertThat(signed.get("signedBy").toString())
                            .contains(daveCert.get("keyId").asText());
                    assertThat(signed.get("missing")).isEmpty();
                    JsonNode published = online.call(
                            "ceremony.publish",
                            params("bundle", signed.get("bundle").asText()));
                    assertThat(published.get("roles").get("root").asInt()).isEqualTo(2);
                    assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");
                    Root r2 = (Root) Signed.parse(Files.readAllBytes(cached.metadataFile(gun, "root")), "root")
                            .signed();
                    assertThat(r2.version()).isEqualTo(2);
                    assertThat(r2.keysOf("root"))
                            .containsKey(daveCert.get("keyId").asText())
                            .hasSize(3);

                    // resign-root as a ceremony; first a tampered copy (one byte of the new root flipped) is refused
                    Path bundleFile = dir.resolve("resign.bundle");
                    Cli prepareCli = cli(
                            "prepare",
                            gun,
                            "--resign-root",
                            "--expires-in-days",
                            "400",
                            "--out",
                            bundleFile.toString(),
                            "--socket",
                            onConfig.socket().path().toString());
                    assertThat(prepareCli.exit()).as(prepareCli.err()).isZero();
                    assertThat(prepareCli.out())
                            .contains("(resign-root, root v2 → v3)")
                            .contains(gun + ": resign-root");
                    byte[] file = Files.readAllBytes(bundleFile);
                    JsonNode resign = params("bundle", b64(file));
                    String text = new String(file, StandardCharsets.UTF_8);
                    int at = text.indexOf("\"expires\":\"") + "\"expires\":\"".length() + 3;
                    byte[] flipped = file.clone();
                    flipped[at] = (byte) (flipped[at] == '1' ? '2' : '1');
                    assertThatThrownBy(() -> offline.call("ceremony.sign", params("bundle", b64(flipped))))
                            .isInstanceOfSatisfying(
                                    CustodyException.class,
                                    e -> assertThat(e.code()).isEqualTo(ErrorCode.METADATA_INVALID))
                            .hasMessageContaining("[tampered: new hash]");
                    // the same bundle, checked as another repository's, is refused as such (offline and online)
                    String other = RepoTestbed.newGun("ceremony-other");
                    online.call("repo.init", params("gun", other, "publish", true, "token", "online"));
                    NotaryCli otherCli =
                            NotaryCli.create(Files.createTempDirectory(dir, "notary-other-"), RepoTestbed.server());
                    otherCli.ok("list", other);
                    offline.call(
                            "ceremony.trust",
                            params(
                                    "gun",
                                    other,
                                    "root",
                                    b64(Files.readAllBytes(otherCli.metadataFile(other, "root")))));
                    assertThatThrownBy(() -> offline.call(
                                    "ceremony.sign",
                                    params("bundle", resign.get("bundle").asText(), "gun", other)))
                            .isInstanceOfSatisfying(
                                    CustodyException.class,
                                    e -> assertThat(e.code()).isEqualTo(ErrorCode.METADATA_INVALID))
                            .hasMessageContaining("[wrong-gun]")
                            .hasMessageContaining(other);
                    assertThatThrownBy(() -> online.call(
                                    "ceremony.publish",
                                    params("bundle", resign.get("bundle").asText(), "gun", other)))
                            .isInstanceOfSatisfying(
                                    CustodyException.class,
                                    e -> assertThat(e.code()).isEqualTo(ErrorCode.METADATA_INVALID))
                            .hasMessageContaining("[wrong-gun]");
                    // unsigned, it is not published
                    assertThatThrownBy(() -> online.call(
                                    "ceremony.publish",
                                    params("bundle", resign.get("bundle").asText())))
                            .isInstanceOf(CustodyException.class)
                            .hasMessageContaining("root");

                    // signed and published through the CLI's ceremony commands, the bundle as a file
                    Cli signCli = cli(
                            "sign",
                            bundleFile.toString(),
                            "--socket",
                            offConfig.socket().path().toString());
                    assertThat(signCli.exit()).as(signCli.err()).isZero();
                    assertThat(signCli.out())
                            .contains("Checked against trusted root v2:") // walked v1 → v2 from the bundle
                            .contains(gun + ": resign-root")
                            .contains("Complete.");
                    Cli publishCli = cli(
                            "publish",
                            bundleFile.toString(),
                            "--socket",
                            onConfig.socket().path().toString());
                    assertThat(publishCli.exit()).as(publishCli.err()).isZero();
                    assertThat(publishCli.out()).contains("Published " + gun + ": root v3");
                    assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");
                    assertThat(((Root) Signed.parse(Files.readAllBytes(cached.metadataFile(gun, "root")), "root")
                                            .signed())
                                    .version())
                            .isEqualTo(3);

                    // stale: the first bundle (built on v1) is refused offline, which trusts v2 now, and online
                    assertThatThrownBy(() -> offline.call(
                                    "ceremony.sign",
                                    params("bundle", prepared.get("bundle").asText())))
                            .isInstanceOfSatisfying(
                                    CustodyException.class,
                                    e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT))
                            .hasMessageContaining("[stale-bundle]");
                    Path staleFile = dir.resolve("stale.bundle");
                    Files.write(
                            staleFile,
                            Base64.getDecoder().decode(prepared.get("bundle").asText()));
                    Cli staleCli = cli(
                            "sign",
                            staleFile.toString(),
                            "--socket",
                            offConfig.socket().path().toString());
                    assertThat(staleCli.exit()).isEqualTo(7); // CONFLICT in the exit table (issue 14: it was 1)
                    assertThat(staleCli.err()).startsWith("custody: [stale-bundle] ");
                    assertThatThrownBy(() -> online.call(
                                    "ceremony.publish",
                                    params("bundle", signed.get("bundle").asText())))
                            .isInstanceOfSatisfying(
                                    CustodyException.class,
                                    e -> assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT))
                            .hasMessageContaining("[server-moved]");
                    // the repository keeps working with the new root
                    online.call("repo.add", target(gun, "v2", "two").put("publish", true));
                    assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1", "v2");
                }
            }
        });
    }

    @Test
    @Requires({Capability.ROOT, Capability.LINUX, Capability.SETPRIV})
    void ceremony_rotateTargets_trustBaseAndApprovalOnTheOfflineDaemon() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (TestUser second = TestUser.create("custody-test-cer2", dir)) {
                rotateTargetsWithApproval(second);
            }
        });
    }

    /** The ceremony's signature waits for a second custodian ({@code second}, another uid: four eyes). */
    private void rotateTargetsWithApproval(TestUser second) throws Exception {
        {
            String gun = RepoTestbed.newGun("ceremony-targets");
            SoftHsm.Token alice = token("alice");
            SoftHsm.Token onlineToken = token("online");
            Path off = dir.resolve("offline");
            Path on = dir.resolve("online");
            String policy = RepoTestbed.rootRotationApproval(second.uid(), "20s");
            DaemonConfig offConfig = start(off, Map.of("alice", alice), null, policy);
            TestUser.openSocket(offConfig.socket().path());
            try (CustodyClient offline =
                            CustodyClient.connect(offConfig.socket().path());
                    CustodyClient custodian =
                            CustodyClient.connect(offConfig.socket().path())) {
                String root = offline.call("key.generate", params("role", "root", "gun", gun, "token", "alice"))
                        .get("keyId")
                        .asText();
                Map<String, SoftHsm.Token> onTokens = new LinkedHashMap<>();
                onTokens.put("online", onlineToken);
                onTokens.put("alice", alice);
                DaemonConfig onConfig = start(on, onTokens, RepoTestbed.server().url());
                try (CustodyClient online =
                        CustodyClient.connect(onConfig.socket().path())) {
                    online.call("key.adopt", params("token", "alice", "keyId", root, "role", "root", "gun", gun));
                    online.call("repo.init", params("gun", gun, "rootKeyIds", List.of(root), "token", "online"));
                    online.call("repo.add", target(gun, "v1", "one").put("publish", true));
                    NotaryCli cached =
                            NotaryCli.create(Files.createTempDirectory(dir, "notary-cached-"), RepoTestbed.server());
                    assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");

                    JsonNode prepared = online.call(
                            "ceremony.prepare", params("gun", gun, "operation", "rotate-targets", "token", "online"));
                    assertThat(prepared.get("summary").toString())
                            .contains("targets v1 → v2; content unchanged (1 targets)");
                    String bundle = prepared.get("bundle").asText();
                    // nothing trusted yet for this GUN: the operator must pin a root or say trustBase
                    assertThatThrownBy(() -> offline.call("ceremony.sign", params("bundle", bundle)))
                            .isInstanceOfSatisfying(
                                    CustodyException.class,
                                    e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_FOUND))
                            .hasMessageContaining("ceremony.trust");
                    CompletableFuture<JsonNode> signing = CompletableFuture.supplyAsync(() -> {
                        try {
                            return offline.call("ceremony.sign", params("bundle", bundle, "trustBase", true));
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
                    JsonNode pending;
                    while (true) {
                        JsonNode p = custodian.call("pending.list", params());
                        if (p.get("pending").size() > 0) {
                            pending = p.get("pending").get(0);
                            break;
                        }
                        Thread.sleep(20);
                    }
                    assertThat(pending.get("method").asText()).isEqualTo("ceremony.sign");
                    assertThat(pending.get("gun").asText()).isEqualTo(gun);
                    List<String> lines = new ArrayList<>();
                    prepared.get("summary").forEach(l -> lines.add(l.asText()));
                    assertThat(pending.get("summary").asText()).isEqualTo(String.join("\n", lines));
                    String pendingId = pending.get("id").asText();
                    assertThatThrownBy(() -> custodian.call("pending.approve", params("id", pendingId)))
                            .hasMessageContaining("the requester of a request cannot approve it");
                    JsonNode approved =
                            second.call(offConfig.socket().path(), "pending.approve", params("id", pendingId));
                    assertThat(approved.path("ok").asBoolean())
                            .as(approved.toString())
                            .isTrue();
                    JsonNode signed = signing.get();
                    assertThat(signed.get("signedBy")).hasSize(1);
                    assertThat(signed.get("missing")).isEmpty();
                    assertThat(signed.get("trustedRootVersion").asInt()).isEqualTo(1);

                    JsonNode published = online.call(
                            "ceremony.publish",
                            params("bundle", signed.get("bundle").asText()));
                    assertThat(published.get("roles").get("root").asInt()).isEqualTo(2);
                    assertThat(published.get("roles").get("targets").asInt()).isEqualTo(2);
                    assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");
                    // the new targets key is the online daemon's: it keeps publishing
                    online.call("repo.add", target(gun, "v2", "two").put("publish", true));
                    assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1", "v2");
                }
            }
        }
    }
}
