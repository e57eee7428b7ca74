package dev.custody.client.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.client.api.CustodyApi;
import dev.custody.protocol.ApprovalDeniedException;
import dev.custody.protocol.BatchTarget;
import dev.custody.protocol.DelegationChange;
import dev.custody.protocol.InitResult;
import dev.custody.protocol.KeyInfo;
import dev.custody.protocol.NotFoundException;
import dev.custody.protocol.PendingApproval;
import dev.custody.protocol.PolicyDeniedException;
import dev.custody.protocol.TokenStatus;
import dev.custody.testhsm.Closeables;
import dev.custody.testhsm.NotaryServer;
import dev.custody.testhsm.OpenSsl;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java client library ({@link CustodyApi}) against a real custodyd, SoftHSM2 and notary-server: every
 * method's params are the ones docs/protocol-methods.md lists (custodyd binds params strictly and refuses
 * unknown ones), and its documented results are read back into the typed records.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ApiAgainstDaemonTest {
    @TempDir
    static Path dir;

    static NotaryServer server;
    static DaemonFixture daemon;
    static CustodyApi api;
    static final String GUN = "example.com/api/" + UUID.randomUUID().toString().substring(0, 8);
    static String rootKeyId;

    @BeforeAll
    static void start() throws Exception {
        server = NotaryServer.startHttp(Files.createDirectories(dir.resolve("notary-server")));
        long uid = new com.sun.security.auth.module.UnixSystem().getUid();
        String policy = """
        policy:
          rules:
            - name: no-denied
              uids: [%d]
              guns: ["example.com/denied/**"]
              effect: deny
            - name: approval-publish
              uids: [%d]
              guns: ["example.com/approval/**"]
              operations: [publish]
              approval: required
            - name: me
              uids: [%d]
        """.formatted(uid, uid, uid);
        daemon = new DaemonFixture(dir.resolve("d"), server.url(), null, true, "", policy);
        api = CustodyApi.connect(daemon.socket);
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(api, daemon, server);
    }

    private static String sha256(String s) throws Exception {
        return HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    @Order(1)
    void tokensAndKeys() throws Exception {
        assertThat(api.tokenList()).singleElement().satisfies(t -> {
            assertThat(t.name()).isEqualTo("main");
            assertThat(t.label()).isEqualTo(daemon.token.label());
            assertThat(t.serial()).isEqualTo(daemon.token.serial());
            assertThat(t.present()).isTrue();
            assertThat(t.unlocked()).isFalse();
            assertThat(t.pinLocked()).isFalse();
        });
        char[] pin = DaemonFixture.PIN.toCharArray();
        assertThat(api.tokenUnlock("main", pin).token()).isEqualTo("main");
        assertThat(pin).containsOnly('\0');
        assertThat(api.tokenList())
                .singleElement()
                .extracting(TokenStatus::unlocked)
                .isEqualTo(true);

        KeyInfo root = api.keyGenerate("root", null, "main", "ecdsa");
        rootKeyId = root.keyId();
        assertThat(rootKeyId).matches("[0-9a-f]{64}");
        assertThat(root.role()).isEqualTo("root");
        assertThat(root.token()).isEqualTo("main");
        assertThat(root.tokenSerial()).isEqualTo(daemon.token.serial());
        assertThat(root.present()).isTrue();
        assertThat(api.keyList(null)).extracting(KeyInfo::keyId).contains(rootKeyId);

        // an unencrypted PKCS#8 EC key, as a software trust_dir might hold
        Path pemFile = dir.resolve("jeff.key");
        OpenSsl.p256Key(pemFile);
        KeyInfo jeff = api.keyImport(Files.readString(pemFile), null, "jeff", null, "main");
        assertThat(jeff.role()).isEqualTo("jeff");
        assertThat(jeff.softwareCopyNote()).containsIgnoringCase("delete");
        assertThat(api.keyList(null)).extracting(KeyInfo::keyId).contains(jeff.keyId());
        assertThat(api.keyRemove(jeff.keyId())).isEqualTo(jeff.keyId());
        assertThat(api.keyList(null)).extracting(KeyInfo::keyId).doesNotContain(jeff.keyId());

        assertThat(api.tokenLock("main")).isEqualTo("main");
        assertThat(api.tokenList())
                .singleElement()
                .extracting(TokenStatus::unlocked)
                .isEqualTo(false);
        api.tokenUnlock("main", DaemonFixture.PIN.toCharArray());
    }

    @Test
    @Order(2)
    void repositories() throws Exception {
        InitResult init = api.repoInit(GUN, List.of(rootKeyId), null, false, true);
        assertThat(init.gun()).isEqualTo(GUN);
        assertThat(init.rootKeyIds()).hasSize(1);
        assertThat(init.targetsKeyId()).matches("[0-9a-f]{64}");
        assertThat(init.snapshotKeyId()).matches("[0-9a-f]{64}");
        assertThat(init.published()).isTrue();
        assertThat(api.keyList(GUN)).extracting(KeyInfo::keyId).contains(init.targetsKeyId(), init.snapshotKeyId());

        // two root keys, threshold 2, snapshot key on the server; not published
        String g2 = GUN + "-threshold";
        String r2 = api.keyGenerate("root", null, "main", null).keyId();
        InitResult t = api.repoInit(g2, List.of(rootKeyId, r2), 2, true, false);
        assertThat(t.rootKeyIds()).hasSize(2);
        assertThat(t.snapshotKeyId()).isNull();
        assertThat(t.published()).isFalse();

        String sha = sha256("a");
        api.repoAddBatch(
                GUN,
                null,
                List.of(new BatchTarget("a", 1, sha, null), new BatchTarget("b", 1, sha256("b"), null)),
                true);
        assertThat(api.repoList(GUN, null).targets())
                .extracting(x -> x.name() + " " + x.sha256() + " " + x.length() + " " + x.role())
                .containsExactlyInAnyOrder("a " + sha + " 1 targets", "b " + sha256("b") + " 1 targets");
        assertThat(api.repoLookup(GUN, "a").sha256()).isEqualTo(sha);
        assertThat(api.repoRemove(GUN, "a", "targets", false).staged()).isEqualTo(1);
        assertThat(api.repoStatus(GUN).changes()).singleElement().satisfies(c -> {
            assertThat(c.action()).isEqualTo("delete");
            assertThat(c.path()).isEqualTo("a");
        });
        var pub = api.repoPublish(GUN);
        assertThat(pub.roles()).containsEntry("targets", 3).containsKey("snapshot");
        assertThat(api.repoList(GUN, null).targets()).extracting(x -> x.name()).containsExactly("b");
        assertThat(api.repoWitness(GUN, List.of("targets"), false).staged()).isEqualTo(1);
        assertThat(api.repoReset(GUN).dropped()).isEqualTo(1);
        assertThat(api.repoStatus(GUN).changes()).isEmpty();
        var rot = api.keyRotate(GUN, "snapshot", true);
        assertThat(rot.role()).isEqualTo("snapshot");
        assertThat(rot.oldKeyIds()).containsExactly(init.snapshotKeyId());
        assertThat(rot.newKeyId()).isNotEqualTo(init.snapshotKeyId());
        assertThat(rot.rootVersion()).isEqualTo(2);
    }

    @Test
    @Order(3)
    void delegations() throws Exception {
        Path key = dir.resolve("r.key");
        Path cert = dir.resolve("r.crt");
        OpenSsl.selfSignedP256(key, cert, "/CN=r", 2);
        DelegationChange add =
                api.delegationAdd(GUN, "targets/r", List.of(Files.readString(cert)), List.of(), true, null, true);
        assertThat(add.role()).isEqualTo("targets/r");
        assertThat(add.keyIds()).hasSize(1);
        assertThat(api.delegationList(GUN).delegations()).singleElement().satisfies(d -> {
            assertThat(d.role()).isEqualTo("targets/r");
            assertThat(d.paths()).containsExactly("");
            assertThat(d.threshold()).isEqualTo(1);
        });
        DelegationChange rm = api.delegationRemove(GUN, "targets/r", List.of(), List.of(), false);
        assertThat(rm.staged()).isEqualTo(1);
        api.repoPublish(GUN);
        assertThat(api.delegationList(GUN).delegations()).isEmpty();
    }

    @Test
    @Order(4)
    void approvals_pendingDeny_endsTheWaitingPublish() throws Exception {
        String gun = "example.com/approval/" + UUID.randomUUID().toString().substring(0, 8);
        api.repoInit(gun, null, null, false, false);
        try (CustodyApi other = CustodyApi.connect(daemon.socket)) {
            CompletableFuture<Object> publish = CompletableFuture.supplyAsync(() -> {
                try {
                    return other.repoPublish(gun);
                } catch (Exception e) {
                    return e;
                }
            });
            PendingApproval waiting = null;
            for (int i = 0; i < 120 && waiting == null; i++) {
                waiting = api.pendingList().stream()
                        .filter(p -> gun.equals(p.gun()))
                        .findFirst()
                        .orElse(null);
                if (waiting == null) {
                    Thread.sleep(500);
                }
            }
            assertThat(waiting).as("the publish waits for a custodian").isNotNull();
            assertThat(waiting.method()).isEqualTo("repo.publish");
            assertThat(api.pendingShow(waiting.id()).summary()).isEqualTo(waiting.summary());
            var d = api.pendingDeny(waiting.id(), "not today");
            assertThat(d.id()).isEqualTo(waiting.id());
            assertThat(d.state()).isEqualTo("denied");
            assertThat(publish.get(60, TimeUnit.SECONDS)).isInstanceOf(ApprovalDeniedException.class);
        }
        assertThat(api.pendingList()).noneMatch(p -> gun.equals(p.gun()));
    }

    @Test
    @Order(5)
    void errors_areTheTypedExceptions() {
        assertThatThrownBy(() -> api.repoPublish("example.com/denied/app"))
                .isInstanceOfSatisfying(
                        PolicyDeniedException.class, e -> assertThat(e.rule()).contains("no-denied"));
        assertThatThrownBy(() -> api.repoLookup(GUN, "nope")).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> api.server("https://notary.invalid:4443").repoList(GUN, null))
                .isInstanceOfSatisfying(
                        NotFoundException.class, e -> assertThat(e.kind()).isEqualTo("server"));
        api.server(null);
    }

    @Test
    @Order(6)
    void repoDelete_remote() throws Exception {
        var del = api.repoDelete(GUN, true);
        assertThat(del.local()).isTrue();
        assertThat(del.remote()).isTrue();
        assertThatThrownBy(() -> api.repoList(GUN, null)).isInstanceOf(NotFoundException.class);
    }

    @Test
    @Order(7)
    void audit_tailVerify_andATamperedLineFound() throws Exception {
        List<JsonNode> tail = api.auditTail(5);
        assertThat(tail).hasSize(5).allSatisfy(e -> {
            assertThat(e.path("seq").isIntegralNumber()).as("seq in %s", e).isTrue();
            assertThat(e.path("method").isTextual()).as("method in %s", e).isTrue();
            assertThat(e.path("result").isTextual()).as("result in %s", e).isTrue();
        });
        assertThat(tail.get(4).path("seq").asLong())
                .isEqualTo(tail.get(0).path("seq").asLong() + 4);
        var ok = api.auditVerify();
        assertThat(ok.ok()).isTrue();
        assertThat(ok.firstBadLine()).isNull();
        assertThat(ok.lines()).isGreaterThan(5);
        // one byte changed in line 3, same length: the chain breaks there
        Path log = daemon.dir.resolve("state/audit.log");
        List<String> lines = Files.readAllLines(log);
        String third = lines.get(2);
        int at = third.indexOf("\"time\":\"") + 8;
        assertThat(at).isGreaterThan(8);
        char c = third.charAt(at);
        lines.set(2, third.substring(0, at) + (c == '2' ? '3' : '2') + third.substring(at + 1));
        Files.write(log, lines);
        var bad = api.auditVerify();
        assertThat(bad.ok()).isFalse();
        assertThat(bad.firstBadLine()).isEqualTo(3L);
        assertThat(bad.reason()).isNotBlank();
    }
}
