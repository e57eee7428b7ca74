package dev.custody.daemon.repo;

import static dev.custody.daemon.repo.testing.RepoTestbed.params;
import static dev.custody.daemon.repo.testing.RepoTestbed.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.policy.UnixAccounts;
import dev.custody.daemon.repo.testing.RepoTestbed;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.protocol.PolicyDeniedException;
import dev.custody.testhsm.NotaryList;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.server.NotaryClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CI caller limited to role {@code targets/ci} publishes its targets, but cannot publish a staged
 * delegation change (someone else's) along with them: POLICY_DENIED naming its rule, nothing signed.
 */
@Requires(Capability.LINUX)
class PolicyScopeTest {
    private static final Duration LIMIT = Duration.ofMinutes(2);

    @TempDir
    Path dir;

    private static String ciPolicy() {
        return """
        policy:
          rules:
            - name: ci-team
              uids: [%d]
              guns: ["example.com/ci/*"]
              roles: [targets/ci]
              operations: [add, remove, publish, read]
        """.formatted(UnixAccounts.selfUid());
    }

    @Test
    void publish_ciCallerWithStagedDelegationChange_policyDeniedNamingRule() {
        assertTimeoutPreemptively(LIMIT, () -> {
            String gun = RepoTestbed.newGun("ci");
            try (RepoTestbed t = RepoTestbed.start(dir, "")) {
                try (CustodyClient admin = t.client()) {
                    t.publishedWithDelegation(admin, gun, "targets/ci");
                    // staged, not published: a delegation for another key
                    admin.call(
                            "delegation.add",
                            params(
                                    "gun",
                                    gun,
                                    "role",
                                    "targets/evil",
                                    "keys",
                                    List.of(SeedWorkflowTest.pem(t.newKey(gun, "targets/evil"))),
                                    "allPaths",
                                    true));
                }
                t.restart(ciPolicy());
                int targetsBefore = version(gun, "targets");
                try (CustodyClient ci = t.client()) {
                    ci.call("repo.add", target(gun, "app-1.0", "app").put("role", "targets/ci"));
                    assertThatThrownBy(() -> ci.call("repo.publish", params("gun", gun)))
                            .isInstanceOfSatisfying(PolicyDeniedException.class, e -> {
                                assertThat(e.rule()).contains("ci-team");
                                assertThat(e.getMessage())
                                        .contains("targets/evil")
                                        .contains("nothing was signed");
                            });
                    assertThatThrownBy(() -> ci.call("repo.add", target(gun, "top", "top")))
                            .isInstanceOf(PolicyDeniedException.class);
                    assertThatThrownBy(() -> ci.call(
                                    "delegation.add", params("gun", gun, "role", "targets/ci", "paths", List.of("x"))))
                            .isInstanceOf(PolicyDeniedException.class);
                }
                assertThat(version(gun, "targets")).isEqualTo(targetsBefore);

                t.restart("");
                try (CustodyClient admin = t.client()) {
                    admin.call("repo.reset", params("gun", gun));
                }
                t.restart(ciPolicy());
                try (CustodyClient ci = t.client()) {
                    ci.call(
                            "repo.add",
                            target(gun, "app-1.0", "app")
                                    .put("role", "targets/ci")
                                    .put("publish", true));
                }
                assertThat(version(gun, "targets"))
                        .as("a CI publish leaves targets alone")
                        .isEqualTo(targetsBefore);
                assertThat(NotaryList.parse(t.notary("check").ok("list", gun, "-r", "targets/ci")))
                        .containsOnlyKeys("app-1.0");
            }
        });
    }

    private static int version(String gun, String role) throws Exception {
        return Signed.parse(
                        NotaryClient.builder(RepoTestbed.server().url()).build().getRole(gun, role), role)
                .version();
    }
}
