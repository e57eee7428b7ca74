package dev.custody.daemon.repo;

import static dev.custody.daemon.repo.testing.RepoTestbed.params;
import static dev.custody.daemon.repo.testing.RepoTestbed.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.PeerClientMain;
import dev.custody.daemon.audit.AuditEntry;
import dev.custody.daemon.audit.AuditLog;
import dev.custody.daemon.audit.AuditRecord;
import dev.custody.daemon.policy.UnixAccounts;
import dev.custody.daemon.repo.testing.RepoTestbed;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.daemon.testing.TestUser;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.ErrorCode;
import dev.custody.testhsm.NotaryList;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Four eyes across two real uids (issue #11, property 1): the uid that requested an operation never
 * approves it — not from another connection or process, not as a member of the approving group, not as
 * the daemon's own uid (a custodian). Each attempt is POLICY_DENIED, audited as {@code approval.refused},
 * and the entry stays pending until the other uid approves.
 */
@Requires({Capability.ROOT, Capability.LINUX, Capability.SETPRIV})
class FourEyesTest {
    private static final String USER = "custody-test-4eyes";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dir;

    /** Runs one request as {@code u} in a child JVM (its own process and connection); the outcome as JSON. */
    private static CompletableFuture<JsonNode> asUser(TestUser u, Path socket, String method, JsonNode params)
            throws Exception {
        Process p = u.start(PeerClientMain.class, socket.toString(), method, MAPPER.writeValueAsString(params));
        return CompletableFuture.supplyAsync(() -> {
            try {
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(90, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException("the other user's client did not finish");
                }
                assertThat(p.exitValue()).as(out).isZero();
                return MAPPER.readTree(out);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    private static JsonNode awaitPending(CustodyClient c, String gun) throws Exception {
        while (true) {
            for (JsonNode p : c.call("pending.list", params()).get("pending")) {
                if (gun.equals(p.path("gun").asText())) {
                    return p;
                }
            }
            Thread.sleep(20);
        }
    }

    @Test
    void approve_byTheRequestersUid_refusedAuditedAndStaysPending_anotherUidApproves() {
        assertTimeoutPreemptively(Duration.ofMinutes(4), () -> {
            long self = UnixAccounts.selfUid();
            String ciGun = "example.com/foureyes/"
                    + java.util.UUID.randomUUID().toString().substring(0, 8);
            String rootGun = RepoTestbed.newGun("foureyesroot");
            try (TestUser ci = TestUser.create(USER, dir)) {
                assertThat(ci.uid()).isNotEqualTo(self);
                Path run = Files.createDirectory(dir.resolve("run"));
                Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
                // the CI uid publishes with approval and is itself in the approving group (its primary gid)
                String policy = """
            approvalTimeout: 90s
            policy:
              rules:
                - name: ci-publish-needs-approval
                  uids: [%d]
                  guns: ["example.com/foureyes/*"]
                  operations: [add, publish]
                  approval: required
                - name: approvers
                  gids: [%d]
                  operations: [approve, read]
                - name: root-needs-approval
                  uids: [%d]
                  operations: [rotate]
                  roles: [root]
                  approval: required
                - name: custodians
                  uids: [%d]
            """.formatted(ci.uid(), ci.gid(), self, self);
                String socketLines = "  mode: \"0660\"\n  group: \"" + ci.gid() + "\"";
                try (RepoTestbed t = RepoTestbed.start(dir, policy, "", socketLines);
                        CustodyClient custodian = t.client();
                        CustodyClient requester = t.client()) {
                    Files.setPosixFilePermissions(dir.resolve("pin"), PosixFilePermissions.fromString("rw-------"));
                    Path socket = t.config().socket().path();
                    custodian.call("repo.init", params("gun", ciGun));

                    // 1. a member of the approving group requests a publish, then approves it from another process
                    CompletableFuture<JsonNode> publish = asUser(
                            ci, socket, "repo.add", target(ciGun, "v1", "one").put("publish", true));
                    JsonNode pending = awaitPending(custodian, ciGun);
                    String id = pending.get("id").asText();
                    assertThat(pending.at("/requestedBy/uid").asLong()).isEqualTo(ci.uid());
                    JsonNode own = asUser(ci, socket, "pending.approve", params("id", id))
                            .get();
                    assertThat(own.path("ok").asBoolean()).as(own.toString()).isFalse();
                    assertThat(own.path("code").asText()).isEqualTo("POLICY_DENIED");
                    assertThat(own.path("message").asText()).contains("the requester of a request cannot approve it");
                    Thread.sleep(300);
                    assertThat(publish).as("refused: the publish still waits").isNotDone();
                    assertThat(awaitPending(custodian, ciGun).get("id").asText())
                            .as("still pending")
                            .isEqualTo(id);
                    custodian.call("pending.approve", params("id", id));
                    JsonNode done = publish.get(90, TimeUnit.SECONDS);
                    assertThat(done.path("ok").asBoolean()).as(done.toString()).isTrue();
                    assertThat(NotaryList.parse(t.notary("approved").ok("list", ciGun)))
                            .containsKey("v1");

                    // 2. the daemon's own uid (a custodian) requests a root rotation, then approves it from another
                    // connection
                    requester.call("repo.init", params("gun", rootGun));
                    requester.call("repo.add", target(rootGun, "v1", "one").put("publish", true));
                    CompletableFuture<JsonNode> rotation = CompletableFuture.supplyAsync(() -> {
                        try {
                            return requester.call("key.rotate", params("gun", rootGun, "role", "root"));
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
                    String rootId = awaitPending(custodian, rootGun).get("id").asText();
                    assertThatThrownBy(() -> custodian.call("pending.approve", params("id", rootId)))
                            .isInstanceOfSatisfying(
                                    CustodyException.class,
                                    e -> assertThat(e.code()).isEqualTo(ErrorCode.POLICY_DENIED))
                            .hasMessageContaining("the requester of a request cannot approve it");
                    Thread.sleep(300);
                    assertThat(rotation).isNotDone();
                    JsonNode other = asUser(ci, socket, "pending.approve", params("id", rootId))
                            .get();
                    assertThat(other.path("ok").asBoolean())
                            .as(other.toString())
                            .isTrue();
                    assertThat(rotation.get(90, TimeUnit.SECONDS)
                                    .get("rootVersion")
                                    .asInt())
                            .isEqualTo(2);
                    assertThat(custodian.call("pending.list", params()).get("pending"))
                            .isEmpty();
                }

                List<AuditRecord> records;
                try (AuditLog a = AuditLog.open(dir.resolve("state/audit.log"), Clock.systemUTC())) {
                    assertThat(a.verify().intact()).isTrue();
                    records = a.tail(1000).stream().map(AuditEntry::record).toList();
                }
                List<AuditRecord> refused = records.stream()
                        .filter(r -> "approval.refused".equals(r.method()))
                        .toList();
                assertThat(refused).hasSize(2).allSatisfy(r -> {
                    assertThat(r.result()).isEqualTo("POLICY_DENIED");
                    assertThat(r.message()).contains("the requester of a request cannot approve it");
                    assertThat(r.uid())
                            .isEqualTo(r.details().get("requestedByUid").asLong());
                });
                assertThat(refused.get(0).uid()).isEqualTo(ci.uid());
                assertThat(refused.get(0).gun()).isEqualTo(ciGun);
                assertThat(refused.get(1).uid()).isEqualTo(self);
                assertThat(refused.get(1).gun()).isEqualTo(rootGun);
                List<AuditRecord> granted = records.stream()
                        .filter(r -> "approval.granted".equals(r.method()))
                        .toList();
                assertThat(granted)
                        .hasSize(2)
                        .allSatisfy(r -> assertThat(r.uid())
                                .isNotEqualTo(r.details().get("requestedByUid").asLong()));
            }
        });
    }
}
