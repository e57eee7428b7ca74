package dev.custody.daemon.repo;

import static dev.custody.daemon.repo.testing.RepoTestbed.params;
import static dev.custody.daemon.repo.testing.RepoTestbed.target;
import static org.assertj.core.api.Assertions.assertThat;
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
 * Approvals across two real uids: a CI user (made with useradd, run through setpriv) publishes under
 * a rule with {@code approval: required}; this test's uid, a custodian, approves from its own
 * connection and the CI request completes; a second CI request is not approved in time and ends
 * with APPROVAL_DENIED. The audit log names the CI uid as requester and ours as approver.
 */
@Requires({Capability.ROOT, Capability.LINUX, Capability.SETPRIV})
class SecondUidApprovalTest {
    private static final String USER = "custody-test-apr";
    private static final Duration APPROVAL_TIMEOUT = Duration.ofSeconds(5);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path dir;

    record ChildResult(long pid, JsonNode out) {}

    /** Runs one request as the CI user in a child JVM; the result arrives when the child ends. */
    private static CompletableFuture<ChildResult> asCi(TestUser ci, Path socket, String method, JsonNode params)
            throws Exception {
        Process p = ci.start(PeerClientMain.class, socket.toString(), method, MAPPER.writeValueAsString(params));
        return CompletableFuture.supplyAsync(() -> {
            try {
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException("the CI client did not finish");
                }
                assertThat(p.exitValue()).as(out).isZero();
                return new ChildResult(p.pid(), MAPPER.readTree(out));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    void ciUidPublish_approvedByCustodianUid_thenTimesOut_auditedWithBothUids() {
        assertTimeoutPreemptively(Duration.ofMinutes(3), () -> {
            long self = UnixAccounts.selfUid();
            String gun = RepoTestbed.newGun("ciapproval");
            String rule = "ci-publish-needs-approval";
            boolean created;
            try (TestUser ci = TestUser.create(USER, dir)) {
                created = ci.created();
                assertThat(ci.uid()).isNotEqualTo(self);
                // the CI uid reaches the socket through its group: dir is 0711 (TestUser), run/ 0755
                Path run = Files.createDirectory(dir.resolve("run"));
                Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
                String policy = """
            approvalTimeout: %ds
            policy:
              rules:
                - name: %s
                  uids: [%d]
                  guns: ["example.com/ciapproval/*"]
                  operations: [add, publish]
                  approval: required
                - name: custodians
                  uids: [%d]
                  operations: [approve, init, read]
            """.formatted(APPROVAL_TIMEOUT.toSeconds(), rule, ci.uid(), self);
                String socketLines = "  mode: \"0660\"\n  group: \"" + ci.gid() + "\"";
                ChildResult granted;
                ChildResult expired;
                String grantedId;
                try (RepoTestbed t = RepoTestbed.start(dir, policy, "", socketLines);
                        CustodyClient custodian = t.client()) {
                    Files.setPosixFilePermissions(dir.resolve("pin"), PosixFilePermissions.fromString("rw-------"));
                    Path socket = t.config().socket().path();
                    assertThat(((Number) Files.getAttribute(socket, "unix:gid")).longValue())
                            .isEqualTo(ci.gid());
                    custodian.call("repo.init", params("gun", gun));

                    // granted: the CI request waits until our uid approves it from this connection
                    CompletableFuture<ChildResult> first = asCi(
                            ci, socket, "repo.add", target(gun, "v1", "one").put("publish", true));
                    JsonNode pending = RepoTestbed.awaitPending(custodian);
                    grantedId = pending.get("id").asText();
                    assertThat(pending.get("method").asText()).isEqualTo("repo.add");
                    assertThat(pending.get("gun").asText()).isEqualTo(gun);
                    assertThat(pending.at("/requestedBy/uid").asLong()).isEqualTo(ci.uid());
                    assertThat(first).isNotDone();
                    custodian.call("pending.approve", params("id", grantedId));
                    granted = first.get();
                    assertThat(granted.out().path("ok").asBoolean())
                            .as(granted.out().toString())
                            .isTrue();
                    assertThat(pending.at("/requestedBy/pid").asLong()).isEqualTo(granted.pid());
                    assertThat(custodian.call("repo.list", params("gun", gun)).toString())
                            .contains("v1");
                    assertThat(NotaryList.parse(t.notary("after-grant").ok("list", gun)))
                            .containsKey("v1");

                    // timed out: nobody approves; APPROVAL_DENIED after the approval timeout, nothing published
                    long t0 = System.nanoTime();
                    expired = asCi(
                                    ci,
                                    socket,
                                    "repo.add",
                                    target(gun, "v2", "two").put("publish", true))
                            .get();
                    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(APPROVAL_TIMEOUT);
                    assertThat(expired.out().path("ok").asBoolean())
                            .as(expired.out().toString())
                            .isFalse();
                    assertThat(expired.out().path("code").asText()).isEqualTo("APPROVAL_DENIED");
                    assertThat(expired.out().path("message").asText()).contains("not given within");
                    assertThat(custodian.call("pending.list", params()).get("pending"))
                            .isEmpty();
                    assertThat(NotaryList.parse(t.notary("after-timeout").ok("list", gun)))
                            .containsKey("v1")
                            .doesNotContainKey("v2");
                }

                List<AuditRecord> records;
                try (AuditLog a = AuditLog.open(dir.resolve("state/audit.log"), Clock.systemUTC())) {
                    assertThat(a.verify().intact()).isTrue();
                    records = a.tail(500).stream()
                            .map(AuditEntry::record)
                            .filter(r -> gun.equals(r.gun()))
                            .toList();
                }
                List<AuditRecord> requested = byMethod(records, "approval.requested");
                assertThat(requested).hasSize(2).allSatisfy(r -> {
                    assertThat(r.uid()).isEqualTo(ci.uid());
                    assertThat(r.details().get("requestedByUid").asLong()).isEqualTo(ci.uid());
                });
                assertThat(requested.get(0).pid()).isEqualTo(granted.pid());
                assertThat(requested.get(1).pid()).isEqualTo(expired.pid());
                assertThat(byMethod(records, "approval.granted"))
                        .singleElement()
                        .satisfies(r -> {
                            assertThat(r.uid()).as("approver").isEqualTo(self);
                            assertThat(r.details().get("requestedByUid").asLong())
                                    .as("requester")
                                    .isEqualTo(ci.uid());
                            assertThat(r.details().get("approvalId").asText()).isEqualTo(grantedId);
                            assertThat(r.result()).isEqualTo("ok");
                        });
                assertThat(byMethod(records, "pending.approve"))
                        .singleElement()
                        .satisfies(r -> assertThat(r.uid()).isEqualTo(self));
                assertThat(byMethod(records, "approval.expired"))
                        .singleElement()
                        .satisfies(r -> {
                            assertThat(r.uid()).isEqualTo(ci.uid());
                            assertThat(r.pid()).isEqualTo(expired.pid());
                            assertThat(r.details().get("requestedByUid").asLong())
                                    .isEqualTo(ci.uid());
                            assertThat(r.result()).isEqualTo("APPROVAL_DENIED");
                        });
                List<AuditRecord> adds = byMethod(records, "repo.add");
                assertThat(adds).hasSize(2).allSatisfy(r -> {
                    assertThat(r.uid()).isEqualTo(ci.uid());
                    assertThat(r.gid()).isEqualTo(ci.gid());
                    assertThat(r.rule()).isEqualTo(rule);
                });
                assertThat(adds.get(0).result()).isEqualTo("ok");
                assertThat(adds.get(0).pid()).isEqualTo(granted.pid());
                assertThat(adds.get(1).result()).isEqualTo("APPROVAL_DENIED");
                assertThat(adds.get(1).pid()).isEqualTo(expired.pid());
                assertThat(records.stream().map(AuditRecord::method).toList())
                        .containsSubsequence(
                                "approval.requested",
                                "approval.granted",
                                "repo.add",
                                "approval.requested",
                                "approval.expired",
                                "repo.add");
            }
            if (created) {
                assertThat(UnixAccounts.uidOf(USER))
                        .as("the CI user is removed")
                        .isEmpty();
            }
        });
    }

    private static List<AuditRecord> byMethod(List<AuditRecord> records, String method) {
        return records.stream().filter(r -> method.equals(r.method())).toList();
    }
}
