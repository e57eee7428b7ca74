package dev.custody.client.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custody.testhsm.Closeables;
import dev.custody.testhsm.NotaryServer;
import dev.custody.testhsm.SoftHsm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a CI job sees when custodyd says no, with real causes: a policy rule that denies, a rule that needs an
 * approval, a configured token that is not plugged in, a wrong PIN; the exit status of each (README's table)
 * and its one line on stderr. Also the approval a second custodian (another uid: four eyes) gives, and --socket.
 */
class CliDaemonErrorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static NotaryServer server;
    static DaemonFixture daemon;
    static Custody custody;
    static long uid;
    /** The second custodian of the approval test: four eyes, the requester's uid never approves. */
    static final int NOBODY = 65534;

    @BeforeAll
    static void start() throws Exception {
        server = NotaryServer.startHttp(Files.createDirectories(dir.resolve("notary-server")));
        uid = new com.sun.security.auth.module.UnixSystem().getUid();
        String ghost =
                """
          - name: ghost
            module: %s
            label: not-plugged-in-%s
            pin: prompt
        """.formatted(SoftHsm.MODULE, UUID.randomUUID().toString().substring(0, 8));
        String policy = """
        policy:
          rules:
            - name: no-denied
              uids: [%d]
              guns: ["example.com/denied/**"]
              effect: deny
            - name: jeff-keys-need-approval
              uids: [%d]
              roles: [jeff]
              operations: [key.generate]
              approval: required
            - name: approval-publish
              uids: [%d]
              guns: ["example.com/approval/**"]
              operations: [publish]
              approval: required
            - name: me
              uids: [%d]
            - name: second-custodian
              uids: [%d]
              operations: [approve]
        """.formatted(uid, uid, uid, uid, NOBODY);
        daemon = new DaemonFixture(dir.resolve("d"), server.url(), null, true, ghost, policy);
        custody = new Custody(daemon.socket, dir.resolve("cds"));
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(daemon, server);
    }

    private static void unlock() throws Exception {
        custody.unlock("main");
    }

    @Test
    void tokenUnlock_pinFromStdin_firstLineOnly_travelsOnlyOverTheSocket() throws Exception {
        Custody.Result r = custody.runWithInput(
                        DaemonFixture.PIN + "\nrest of stdin\n", "token", "unlock", "main", "--pin-stdin")
                .ok();
        assertThat(r.out()).matches("Token main unlocked until \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z\n");
        assertThat(r.err()).isEmpty();
        assertThat(custody.run("token", "list", "-o", "json").ok().out()).contains("\"unlocked\": true");
        assertThat(Files.readString(daemon.dir.resolve("state/audit.log")))
                .doesNotContain(DaemonFixture.PIN)
                .contains("token.unlock");
    }

    @Test
    void tokenUnlock_wrongPin_exit22_oneLineWithWhatToDo() throws Exception {
        Custody.Result r =
                custody.runWithInput(DaemonFixture.WRONG_PIN + "\n", "token", "unlock", "main", "--pin-stdin");
        assertThat(r.status()).as(r.err()).isEqualTo(22);
        // SoftHSM2 raises CKF_USER_PIN_COUNT_LOW after a wrong PIN; the CLI says what that means
        assertThat(r.err())
                .startsWith("custody: wrong PIN for token " + daemon.token.label() + " (serial " + daemon.token.serial()
                        + ")")
                .endsWith(": few tries are left before the token locks; check the PIN and run"
                        + " custody token unlock again (it is never retried automatically)\n");
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.out() + r.err()).doesNotContain(DaemonFixture.WRONG_PIN);
        unlock();
    }

    @Test
    void policyDenied_exit10_namesTheRule() throws Exception {
        Custody.Result r = custody.run("list", "example.com/denied/app");
        assertThat(r.status()).as(r.err()).isEqualTo(10);
        assertThat(r.err())
                .startsWith("custody: uid " + uid + " (groups ")
                .endsWith(
                        " may not read example.com/denied/app: denied by rule 'no-denied': rule 'no-denied' denies it;"
                                + " ask a custodian (custody policy show)\n");
        assertThat(r.err().lines()).hasSize(1);
    }

    @Test
    void approvalRequired_whereTheMethodCannotWait_exit11() throws Exception {
        unlock();
        Custody.Result r = custody.run("key", "generate", "--role", "jeff", "--token", "main");
        assertThat(r.status()).as(r.err()).isEqualTo(11);
        assertThat(r.err())
                .isEqualTo("custody: rule 'jeff-keys-need-approval' requires a custodian's approval for "
                        + "key.generate role jeff, and key.generate cannot wait for approvals: ask a custodian to run it, or to"
                        + " change the rule (custody policy show)\n");
        assertThat(custody.run("key", "list").ok().out()).doesNotContainPattern("(?m)^jeff ");
    }

    @Test
    void tokenAbsent_exit20() throws Exception {
        Custody.Result r = custody.run("key", "generate", "--role", "targets", "--token", "ghost");
        assertThat(r.status()).as(r.err()).isEqualTo(20);
        assertThat(r.err())
                .startsWith("custody: token ghost is not present: ")
                .endsWith(": plug the token in and retry;" + " custody token list shows what custodyd sees\n");
        assertThat(r.err().lines()).hasSize(1);
    }

    @Test
    void notFound_exit4() throws Exception {
        Custody.Result r = custody.run("lookup", "example.com/nobody/app", "v1");
        assertThat(r.status()).as(r.err()).isEqualTo(4);
        assertThat(r.err()).startsWith("custody: ").contains("example.com/nobody/app");
        assertThat(r.err().lines()).hasSize(1);
    }

    @Test
    void approve_offTerminalNeedsYes_thenTheWaitingPublishGoesOn() throws Exception {
        unlock();
        String gun = "example.com/approval/" + UUID.randomUUID().toString().substring(0, 8);
        custody.run("init", gun).ok();
        custody.run(
                        "addhash",
                        gun,
                        "v1",
                        "6",
                        "--sha256",
                        "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
                .ok();
        CompletableFuture<Custody.Result> publish = CompletableFuture.supplyAsync(() -> {
            try {
                return custody.run("publish", gun);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        JsonNode waiting = null;
        for (int i = 0; i < 120 && waiting == null; i++) {
            for (JsonNode p : JSON.readTree(
                            custody.run("pending", "-o", "json").ok().out())
                    .path("pending")) {
                if (gun.equals(p.path("gun").asText())) {
                    waiting = p;
                }
            }
            if (waiting == null) {
                assertThat(publish).isNotDone();
                Thread.sleep(500);
            }
        }
        assertThat(waiting).as("publish waits for an approval").isNotNull();
        String id = waiting.path("id").asText();
        Custody.Result noYes = custody.run("approve", id);
        assertThat(noYes.status()).isEqualTo(2);
        assertThat(noYes.err())
                .isEqualTo("custody: not on a terminal: read 'custody pending " + id + "' and approve with --yes\n");
        assertThat(publish).isNotDone();
        Custody.Result own = custody.run("approve", id, "--yes");
        assertThat(own.status()).as(own.err()).isEqualTo(10);
        assertThat(own.err()).contains("the requester of a request cannot approve it");
        assertThat(publish).isNotDone();
        Custody.Result yes = secondCustodian().run("approve", id, "--yes").ok();
        assertThat(yes.out())
                .isEqualTo("Approved " + id + ": " + waiting.path("summary").asText() + "\n");
        Custody.Result published = publish.get(90, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(published.status()).as(published.err()).isZero();
        assertThat(published.out())
                .isEqualTo("Pushing changes to " + gun + "\nSuccessfully published changes for" + " repository " + gun
                        + "\n");
        assertThat(custody.run("lookup", gun, "v1").ok().out()).startsWith("v1 sha256:5891b5b5");
    }

    /** {@code custody} as uid 65534 (nobody), which reaches the socket once it and its directories are open. */
    private static Custody secondCustodian() throws Exception {
        for (Path p = daemon.socket.getParent(); p.startsWith(dir); p = p.getParent()) {
            java.util.Set<java.nio.file.attribute.PosixFilePermission> perms = Files.getPosixFilePermissions(p);
            perms.add(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE);
            Files.setPosixFilePermissions(p, perms);
        }
        Files.setPosixFilePermissions(
                daemon.socket, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        Path copy = dir.resolve("nobody-install");
        Path launcher = Files.exists(copy) ? copy.resolve("bin/custody") : Custody.installCopy(copy);
        return new Custody(daemon.socket, dir.resolve("cds-nobody")).as(NOBODY, NOBODY, launcher);
    }

    @Test
    void socketOption_overridesEnvironment_beforeOrAfterTheSubcommand() throws Exception {
        Custody wrongEnv = new Custody(Path.of("/nonexistent/custody.sock"), dir.resolve("cds"));
        Custody.Result before = wrongEnv.run("--socket", daemon.socket.toString(), "token", "list")
                .ok();
        assertThat(before.out()).contains("main ");
        Custody.Result after = wrongEnv.run("token", "list", "--socket", daemon.socket.toString())
                .ok();
        assertThat(after.out()).contains("main ");
        assertThat(wrongEnv.run("token", "list").status()).isEqualTo(3);
    }
}
