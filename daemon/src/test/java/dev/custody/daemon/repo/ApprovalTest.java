package dev.custody.daemon.repo;

import static dev.custody.daemon.repo.testing.RepoTestbed.params;
import static dev.custody.daemon.repo.testing.RepoTestbed.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.audit.AuditEntry;
import dev.custody.daemon.audit.AuditLog;
import dev.custody.daemon.repo.testing.RepoTestbed;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.daemon.testing.TestUser;
import dev.custody.protocol.ApprovalDeniedException;
import dev.custody.testhsm.NotaryCli;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.server.NotaryClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Root signatures under a rule with {@code approval: required}: the request waits as pending with a
 * summary in words; a second custodian (another uid) approves, or the timeout denies it.
 */
@Requires(Capability.LINUX)
class ApprovalTest {
    private static final Duration LIMIT = Duration.ofMinutes(2);

    @TempDir
    Path dir;

    private static String policy() {
        return policy(4_000_000_000L, "4s");
    }

    /** @param approver a second custodian's uid: the requester never approves its own request (four eyes) */
    private static String policy(long approver, String timeout) {
        return RepoTestbed.rootRotationApproval(approver, timeout);
    }

    private static int rootVersion(String gun) throws Exception {
        return Signed.parse(
                        NotaryClient.builder(RepoTestbed.server().url()).build().getRole(gun, "root"), "root")
                .version();
    }

    @Test
    @Requires({Capability.ROOT, Capability.LINUX, Capability.SETPRIV})
    void rotateRoot_approvedByAnotherUid_published() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (TestUser second = TestUser.create("custody-test-apr2", dir);
                    RepoTestbed t = RepoTestbed.start(dir, policy(second.uid(), "90s"));
                    CustodyClient requester = t.client();
                    CustodyClient custodian = t.client()) {
                TestUser.openSocket(t.config().socket().path());
                String gun = RepoTestbed.newGun("approve");
                requester.call("repo.init", params("gun", gun));
                requester.call("repo.add", target(gun, "v1", "one").put("publish", true));
                NotaryCli cached = t.notary("cached");
                cached.ok("list", gun);

                CompletableFuture<JsonNode> rotation = CompletableFuture.supplyAsync(() -> {
                    try {
                        return requester.call("key.rotate", params("gun", gun, "role", "root"));
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                JsonNode pending = RepoTestbed.awaitPending(custodian);
                assertThat(pending.get("method").asText()).isEqualTo("key.rotate");
                assertThat(pending.get("gun").asText()).isEqualTo(gun);
                assertThat(pending.get("summary").asText())
                        .contains("root v1 → v2")
                        .contains("root key")
                        .contains("expires 20");
                assertThat(custodian
                                .call(
                                        "pending.show",
                                        params("id", pending.get("id").asText()))
                                .get("summary"))
                        .isEqualTo(pending.get("summary"));
                assertThat(rootVersion(gun)).as("nothing signed while pending").isEqualTo(1);

                assertThatThrownBy(() -> custodian.call(
                                "pending.approve",
                                params("id", pending.get("id").asText())))
                        .as("four eyes: not the requester's uid, not even from another connection")
                        .hasMessageContaining("the requester of a request cannot approve it");
                JsonNode approved = second.call(
                        t.config().socket().path(),
                        "pending.approve",
                        params("id", pending.get("id").asText()));
                assertThat(approved.path("ok").asBoolean())
                        .as(approved.toString())
                        .isTrue();
                JsonNode r = rotation.get();
                assertThat(r.get("rootVersion").asInt()).isEqualTo(2);
                assertThat(rootVersion(gun)).isEqualTo(2);
                cached.ok("list", gun);
                assertThat(custodian.call("pending.list", params()).get("pending"))
                        .isEmpty();
            }
            try (AuditLog a = AuditLog.open(dir.resolve("state/audit.log"), Clock.systemUTC())) {
                List<String> methods = a.tail(200).stream()
                        .map(AuditEntry::record)
                        .map(x -> x.method())
                        .toList();
                assertThat(methods)
                        .contains("pending.approve")
                        .containsSubsequence("approval.requested", "approval.granted", "key.rotate");
                assertThat(a.verify().intact()).isTrue();
            }
        });
    }

    @Test
    void rotateRoot_notApprovedInTime_approvalDeniedAndNothingSent() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (RepoTestbed t = RepoTestbed.start(dir, policy());
                    CustodyClient c = t.client()) {
                String gun = RepoTestbed.newGun("timeout");
                c.call("repo.init", params("gun", gun));
                c.call("repo.add", target(gun, "v1", "one").put("publish", true));
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> c.call("key.rotate", params("gun", gun, "role", "root")))
                        .isInstanceOf(ApprovalDeniedException.class)
                        .hasMessageContaining("not given within");
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofSeconds(4));
                assertThat(rootVersion(gun)).isEqualTo(1);
                assertThat(c.status().pendingOperations())
                        .as("the rotation was rolled back")
                        .isEmpty();
                // denied explicitly
                try (CustodyClient custodian = t.client()) {
                    CompletableFuture<Throwable> denied = CompletableFuture.supplyAsync(() -> {
                        try {
                            c.call("key.rotate", params("gun", gun, "role", "root"));
                            return null;
                        } catch (Exception e) {
                            return e;
                        }
                    });
                    JsonNode pending = RepoTestbed.awaitPending(custodian);
                    custodian.call(
                            "pending.deny", params("id", pending.get("id").asText(), "reason", "not today"));
                    assertThat(denied.get())
                            .isInstanceOf(ApprovalDeniedException.class)
                            .hasMessageContaining("not today");
                }
                assertThat(rootVersion(gun)).isEqualTo(1);
                // targets rotation is not under the approval rule
                assertThat(c.call("key.rotate", params("gun", gun, "role", "targets"))
                                .get("rootVersion")
                                .asInt())
                        .isEqualTo(2);
            }
        });
    }
}
