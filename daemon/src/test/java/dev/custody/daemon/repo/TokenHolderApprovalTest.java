package dev.custody.daemon.repo;

import static dev.custody.daemon.repo.testing.RepoTestbed.params;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.Daemon;
import dev.custody.daemon.PeerClientMain;
import dev.custody.daemon.StandardExtensions;
import dev.custody.daemon.audit.AuditEntry;
import dev.custody.daemon.audit.AuditLog;
import dev.custody.daemon.audit.AuditRecord;
import dev.custody.daemon.config.ConfigLoader;
import dev.custody.daemon.config.DaemonConfig;
import dev.custody.daemon.policy.UnixAccounts;
import dev.custody.daemon.repo.testing.RepoTestbed;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.daemon.testing.TestUser;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.ErrorCode;
import dev.custody.testhsm.DaemonYaml;
import dev.custody.testhsm.SoftHsm;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signature;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.server.NotaryClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Approvals per token holder across two real uids. A 2-of-3 root whose keys sit on three SoftHSM2 tokens:
 * {@code tok1} held by a second user (made with useradd, run through setpriv), {@code tok2} held by this
 * test's uid and the second user, {@code tok3} by a uid nobody uses. {@code repo.init} (requested by this
 * uid) waits with one pending entry per token and publishes only after both tokens were approved by the
 * second user (this uid's approve of tok1's entry is refused, and of tok2's too: four eyes; both audited),
 * tok3's entry is withdrawn; a targets rotation (which re-signs the root) is denied by tok1's holder and
 * publishes nothing; a ceremony replacing tok3's root key is signed only after both holders approved, and
 * published.
 */
@Requires({Capability.ROOT, Capability.LINUX, Capability.SETPRIV})
class TokenHolderApprovalTest {
    private static final String USER = "custody-test-hold";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dir;

    /** Runs one request as the other user in a child JVM; the JSON outcome arrives when the child ends. */
    private static JsonNode asUser(TestUser u, Path socket, String method, JsonNode params) throws Exception {
        Process p = u.start(PeerClientMain.class, socket.toString(), method, MAPPER.writeValueAsString(params));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("the other user's client did not finish");
        }
        assertThat(p.exitValue()).as(out).isZero();
        return MAPPER.readTree(out);
    }

    private static CompletableFuture<JsonNode> async(CustodyClient c, String method, JsonNode params) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return c.call(method, params);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    /** Waits for {@code n} pending entries; returns them by token name. */
    private static Map<String, JsonNode> awaitEntries(CustodyClient c, int n) throws Exception {
        while (true) {
            JsonNode p = c.call("pending.list", params()).get("pending");
            if (p.size() >= n) {
                Map<String, JsonNode> byToken = new TreeMap<>();
                p.forEach(e -> byToken.put(e.path("token").asText(), e));
                return byToken;
            }
            Thread.sleep(20);
        }
    }

    private static Signed<?> serverRoot(String gun) throws Exception {
        return Signed.parse(
                NotaryClient.builder(RepoTestbed.server().url()).build().getRole(gun, "root"), "root");
    }

    @Test
    void thresholdRoot_eachTokenApprovedByItsHolder_nonHolderRefused_denialPublishesNothing() {
        assertTimeoutPreemptively(Duration.ofMinutes(4), () -> {
            long self = UnixAccounts.selfUid();
            String gun = RepoTestbed.newGun("holders");
            Map<String, SoftHsm.Token> tokens = new LinkedHashMap<>();
            for (String name : List.of("main", "tok1", "tok2", "tok3")) {
                tokens.put(
                        name,
                        SoftHsm.forThisProcess()
                                .createToken("hold-" + name + "-"
                                        + UUID.randomUUID().toString().substring(0, 6)));
            }
            Daemon daemon = null;
            try (TestUser other = TestUser.create(USER, dir)) {
                assertThat(other.uid()).isNotEqualTo(self);
                Path run = Files.createDirectory(dir.resolve("run"));
                Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
                Map<String, String> holders = Map.of(
                        "tok1",
                        "{users: [" + USER + "]}",
                        "tok2",
                        "{uids: [" + self + ", " + other.uid() + "]}",
                        "tok3",
                        "{gids: [4000000]}");
                DaemonYaml yaml = DaemonYaml.in(dir).socketLines("  mode: \"0660\"\n  group: \"" + other.gid() + "\"");
                for (Map.Entry<String, SoftHsm.Token> e : tokens.entrySet()) {
                    Path pin = dir.resolve("pin-" + e.getKey());
                    Files.writeString(pin, e.getValue().userPin() + "\n");
                    Files.setPosixFilePermissions(pin, PosixFilePermissions.fromString("rw-------"));
                    yaml.token(e.getKey(), SoftHsm.MODULE, e.getValue().label(), "file:" + pin);
                    if (holders.containsKey(e.getKey())) {
                        yaml.tokens("    holders: " + holders.get(e.getKey())); // one more line of this token
                    }
                }
                yaml.server("default", RepoTestbed.server().url()).more("""
            approvalTimeout: 90s
            policy:
              rules:
                - name: custodian
                  uids: [%d]
                - name: holder
                  uids: [%d]
                  operations: [approve]
            """.formatted(self, other.uid()));
                DaemonConfig config =
                        ConfigLoader.parse(yaml.text(), dir.resolve("custodyd.yaml"), ConfigLoader.Accounts.SYSTEM);
                assertThat(config.tokens().get(1).holders().uids()).containsExactly(other.uid());
                daemon = Daemon.start(config, Map.of(), StandardExtensions.create(Map.of()), Clock.systemUTC());
                Path socket = config.socket().path();

                try (CustodyClient me = CustodyClient.connect(socket, Duration.ofSeconds(120));
                        CustodyClient custodian = CustodyClient.connect(socket, Duration.ofSeconds(120))) {
                    List<String> bare = new ArrayList<>();
                    for (String tok : List.of("tok1", "tok2", "tok3")) {
                        bare.add(me.call("key.generate", params("role", "root", "gun", gun, "token", tok))
                                .get("keyId")
                                .asText());
                    }

                    // init: one entry per root token; both holders approve, the third entry is withdrawn
                    CompletableFuture<JsonNode> init = async(
                            me,
                            "repo.init",
                            params(
                                    "gun",
                                    gun,
                                    "rootKeyIds",
                                    bare,
                                    "rootThreshold",
                                    2,
                                    "token",
                                    "main",
                                    "publish",
                                    true));
                    Map<String, JsonNode> entries = awaitEntries(custodian, 3);
                    assertThat(entries).containsOnlyKeys("tok1", "tok2", "tok3");
                    assertThat(entries.values()).allSatisfy(e -> {
                        assertThat(e.get("method").asText()).isEqualTo("repo.init");
                        assertThat(e.get("gun").asText()).isEqualTo(gun);
                        assertThat(e.get("summary").asText())
                                .startsWith("token " + e.get("token").asText() + " (serial ")
                                .contains("signs root with key")
                                .contains(gun + ": root v0 → v1");
                    });
                    assertThat(entries.get("tok1").get("holders").asText()).isEqualTo("uid " + other.uid());
                    String tok1 = entries.get("tok1").get("id").asText();
                    // what a holder sees: `custody pending` lists one row per token, `custody pending ID` names the
                    // holders
                    String[] list = cli("pending", "--socket", socket.toString());
                    assertThat(list[0]).as(list[1]).isEqualTo("0");
                    assertThat(list[1])
                            .contains("TOKEN")
                            .contains(tok1)
                            .contains("tok1")
                            .contains("tok2")
                            .contains("tok3");
                    String[] show = cli("pending", tok1, "--socket", socket.toString());
                    assertThat(show[1])
                            .contains("token tok1 (serial ")
                            .contains("only its holders (uid " + other.uid() + ")");
                    String[] refused = cli("approve", tok1, "--yes", "--socket", socket.toString());
                    assertThat(refused[0]).isNotEqualTo("0");
                    assertThat(refused[2])
                            .startsWith("custody: uid " + self + " is not a holder of token tok1")
                            .contains("rule 'holders of token tok1' denies it");
                    assertThatThrownBy(() -> custodian.call("pending.approve", params("id", tok1)))
                            .isInstanceOfSatisfying(
                                    CustodyException.class,
                                    e -> assertThat(e.code()).isEqualTo(ErrorCode.POLICY_DENIED))
                            .hasMessageContaining("uid " + self + " is not a holder of token tok1");
                    JsonNode granted = asUser(other, socket, "pending.approve", params("id", tok1));
                    assertThat(granted.path("ok").asBoolean())
                            .as(granted.toString())
                            .isTrue();
                    Thread.sleep(300);
                    assertThat(init)
                            .as("one token approved of a 2-of-3 root: still waiting")
                            .isNotDone();
                    // four eyes: this uid holds tok2 but requested the init, so tok2 is approved by its other holder
                    String tok2 = entries.get("tok2").get("id").asText();
                    assertThatThrownBy(() -> custodian.call("pending.approve", params("id", tok2)))
                            .isInstanceOfSatisfying(
                                    CustodyException.class,
                                    e -> assertThat(e.code()).isEqualTo(ErrorCode.POLICY_DENIED))
                            .hasMessageContaining("the requester of a request cannot approve it");
                    assertThat(asUser(other, socket, "pending.approve", params("id", tok2))
                                    .path("ok")
                                    .asBoolean())
                            .isTrue();
                    JsonNode initDone = init.get(120, TimeUnit.SECONDS);
                    assertThat(initDone.get("published").asBoolean()).isTrue();
                    assertThat(custodian.call("pending.list", params()).get("pending"))
                            .isEmpty();
                    List<String> rootIds = new ArrayList<>();
                    initDone.get("rootKeyIds").forEach(n -> rootIds.add(n.asText()));
                    Signed<?> root1 = serverRoot(gun);
                    assertThat(root1.version()).isEqualTo(1);
                    assertThat(((Root) root1.signed()).role("root").threshold()).isEqualTo(2);
                    assertThat(root1.signatures().stream().map(Signature::keyId).collect(Collectors.toSet()))
                            .as("signed by the approved tokens only")
                            .isEqualTo(Set.of(rootIds.get(0), rootIds.get(1)));

                    // a targets rotation re-signs the root: tok1's holder denies, nothing is published
                    CompletableFuture<JsonNode> rotate =
                            async(me, "key.rotate", params("gun", gun, "role", "targets", "token", "main"));
                    entries = awaitEntries(custodian, 3);
                    assertThat(entries.get("tok1").get("method").asText()).isEqualTo("key.rotate");
                    JsonNode denied = asUser(
                            other,
                            socket,
                            "pending.deny",
                            params("id", entries.get("tok1").get("id").asText(), "reason", "not scheduled"));
                    assertThat(denied.path("ok").asBoolean())
                            .as(denied.toString())
                            .isTrue();
                    assertThat(rotate)
                            .failsWithin(Duration.ofSeconds(60))
                            .withThrowableThat()
                            .havingRootCause()
                            .isInstanceOfSatisfying(CustodyException.class, e -> {
                                assertThat(e.code()).isEqualTo(ErrorCode.APPROVAL_DENIED);
                                assertThat(e.getMessage())
                                        .contains("token tok1 was denied by uid " + other.uid())
                                        .contains("not scheduled")
                                        .contains("nothing was signed");
                            });
                    assertThat(custodian.call("pending.list", params()).get("pending"))
                            .isEmpty();
                    assertThat(me.status().pendingOperations()).isEmpty();
                    assertThat(serverRoot(gun).version())
                            .as("nothing published")
                            .isEqualTo(1);

                    // tok3 is lost: a ceremony replaces its key by one on main, 2 of 3 as before
                    String k4 = me.call("key.generate", params("role", "root", "gun", gun, "token", "main"))
                            .get("keyId")
                            .asText();
                    JsonNode prepared = me.call(
                            "ceremony.prepare",
                            params(
                                    "gun",
                                    gun,
                                    "operation",
                                    "replace-root-key",
                                    "lostKeyId",
                                    rootIds.get(2),
                                    "newKeyId",
                                    k4));
                    CompletableFuture<JsonNode> sign = async(
                            me,
                            "ceremony.sign",
                            params("bundle", prepared.get("bundle").asText()));
                    entries = awaitEntries(custodian, 3);
                    assertThat(entries).containsOnlyKeys("tok1", "tok2", "tok3");
                    assertThat(asUser(
                                            other,
                                            socket,
                                            "pending.approve",
                                            params(
                                                    "id",
                                                    entries.get("tok1")
                                                            .get("id")
                                                            .asText()))
                                    .path("ok")
                                    .asBoolean())
                            .isTrue();
                    Thread.sleep(300);
                    assertThat(sign)
                            .as("the current root needs 2 of its 3 keys")
                            .isNotDone();
                    assertThat(asUser(
                                            other,
                                            socket,
                                            "pending.approve",
                                            params(
                                                    "id",
                                                    entries.get("tok2")
                                                            .get("id")
                                                            .asText()))
                                    .path("ok")
                                    .asBoolean())
                            .isTrue();
                    JsonNode signed = sign.get(120, TimeUnit.SECONDS);
                    assertThat(signed.get("missing")).isEmpty();
                    assertThat(signed.get("signedBy")).hasSize(3); // tok1, tok2 and the new key on main
                    assertThat(signed.get("signedBy").toString()).doesNotContain(rootIds.get(2));
                    JsonNode published = me.call(
                            "ceremony.publish",
                            params("bundle", signed.get("bundle").asText()));
                    assertThat(published.get("roles").get("root").asInt()).isEqualTo(2);
                    Root root2 = (Root) serverRoot(gun).signed();
                    assertThat(root2.keysOf("root")).hasSize(3).doesNotContainKey(rootIds.get(2));
                    assertThat(root2.role("root").threshold()).isEqualTo(2);
                }
                daemon.stop();
                daemon = null;

                List<AuditRecord> records;
                try (AuditLog a = AuditLog.open(dir.resolve("state/audit.log"), Clock.systemUTC())) {
                    assertThat(a.verify().intact()).isTrue();
                    records = a.tail(2000).stream()
                            .map(AuditEntry::record)
                            .filter(r -> gun.equals(r.gun()))
                            .toList();
                }
                assertThat(byMethod(records, "approval.refused"))
                        .hasSize(3)
                        .allSatisfy(r -> {
                            assertThat(r.uid()).isEqualTo(self);
                            assertThat(r.result()).isEqualTo("POLICY_DENIED");
                        })
                        .extracting(r -> r.details().get("token").asText())
                        .containsExactly("tok1", "tok1", "tok2");
                assertThat(byMethod(records, "approval.granted"))
                        .hasSize(4)
                        .allSatisfy(r -> assertThat(r.uid()).isEqualTo(other.uid()));
                assertThat(byMethod(records, "approval.denied"))
                        .singleElement()
                        .satisfies(r -> assertThat(r.uid()).isEqualTo(other.uid()));
                assertThat(byMethod(records, "approval.withdrawn"))
                        .extracting(r -> r.details().get("token").asText())
                        .containsExactlyInAnyOrder("tok3", "tok2", "tok3", "tok3");
            } finally {
                if (daemon != null) {
                    daemon.stop();
                }
            }
        });
    }

    /** Runs {@code custody ARGS} in this JVM through the whole command tree; returns {status, stdout, stderr}. */
    private static String[] cli(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = dev.custody.client.cli.Main.run(
                args, Map.of(), new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true));
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    private static List<AuditRecord> byMethod(List<AuditRecord> records, String method) {
        return records.stream().filter(r -> method.equals(r.method())).toList();
    }
}
