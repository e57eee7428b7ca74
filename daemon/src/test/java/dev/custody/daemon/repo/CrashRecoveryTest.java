package dev.custody.daemon.repo;

import static dev.custody.daemon.repo.testing.RepoTestbed.params;
import static dev.custody.daemon.repo.testing.RepoTestbed.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.repo.testing.ChildDaemon;
import dev.custody.daemon.repo.testing.RepoTestbed;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.protocol.StatusResult;
import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryList;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.server.NotaryClient;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * custodyd as a child JVM, halted ({@code Runtime.halt}, like kill -9) at each journaled step of a
 * publish and of key rotations (targets, snapshot to the server, root), then restarted: the operation completes or rolls back, no
 * journaled operation stays pending, the server has exactly one new version, and the real notary CLI
 * (holding the old root) lists the result.
 */
@Requires(Capability.LINUX)
class CrashRecoveryTest {
    private static final Duration LIMIT = Duration.ofMinutes(3);

    @TempDir
    Path dir;

    private static int version(String gun, String role) throws Exception {
        NotaryClient n = NotaryClient.builder(RepoTestbed.server().url()).build();
        return Signed.parse(n.getRole(gun, role), role).version();
    }

    private static void assertNothingPending(CustodyClient c) throws Exception {
        StatusResult s = c.status();
        assertThat(s.pendingOperations()).isEmpty();
    }

    @ParameterizedTest(name = "publish crashed at {0}")
    @ValueSource(strings = {"planned", "signed", "posting", "after-post", "posted", "committed"})
    void publish_killedAtStep_completesOrRollsBackOnce(String step) {
        assertTimeoutPreemptively(LIMIT, () -> {
            String gun = RepoTestbed.newGun("crash");
            try (ChildDaemon d = new ChildDaemon(dir, "")) {
                d.start(null);
                try (CustodyClient c = d.client()) {
                    c.call("repo.init", params("gun", gun));
                    c.call("repo.add", target(gun, "v1", "one").put("publish", true));
                }
                NotaryCli cached = RepoTestbed.server() == null
                        ? null
                        : NotaryCli.create(dir.resolve("cached"), RepoTestbed.server());
                assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");
                d.stop();

                d.start("publish:" + step);
                try (CustodyClient c = d.client()) {
                    c.call("repo.add", target(gun, "v2", "two"));
                    assertThatThrownBy(() -> c.call("repo.publish", params("gun", gun)))
                            .isNotNull();
                }
                assertThat(d.awaitExit()).isEqualTo(137);

                d.start(null);
                try (CustodyClient c = d.client()) {
                    assertNothingPending(c);
                    int staged = c.call("repo.status", params("gun", gun))
                            .get("changes")
                            .size();
                    boolean rolledBack = step.equals("planned") || step.equals("signed") && staged == 1;
                    if (step.equals("planned")) {
                        assertThat(staged)
                                .as("rolled back: the change is still staged")
                                .isEqualTo(1);
                        assertThat(version(gun, "targets")).isEqualTo(1);
                    } else {
                        assertThat(staged)
                                .as("completed: the change was published and dropped")
                                .isZero();
                    }
                    if (rolledBack) {
                        c.call("repo.publish", params("gun", gun));
                    }
                    assertThat(c.call("repo.status", params("gun", gun)).get("changes"))
                            .isEmpty();
                    // a second publish with nothing staged sends nothing
                    assertThat(c.call("repo.publish", params("gun", gun))
                                    .get("roles")
                                    .size())
                            .isZero();
                }
                assertThat(version(gun, "targets"))
                        .as("exactly one new version")
                        .isEqualTo(2);
                assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1", "v2");
            }
        });
    }

    @ParameterizedTest(name = "rotate {0}")
    @ValueSource(
            strings = {
                "targets:planned",
                "targets:key-created",
                "targets:signed",
                "targets:posting",
                "targets:after-post",
                "targets:posted",
                "targets:committed",
                "snapshot-r:key-created",
                "snapshot-r:posting",
                "snapshot-r:after-post",
                "root:signed",
                "root:after-post"
            })
    void rotate_killedAtStep_completesOrRollsBackOnce(String spec) {
        String role = spec.substring(0, spec.indexOf(':')).replace("-r", "");
        boolean serverManaged = spec.startsWith("snapshot-r");
        String step = spec.substring(spec.indexOf(':') + 1);
        assertTimeoutPreemptively(LIMIT, () -> {
            String gun = RepoTestbed.newGun("crashrot");
            try (ChildDaemon d = new ChildDaemon(dir, "")) {
                d.start(null);
                try (CustodyClient c = d.client()) {
                    c.call("repo.init", params("gun", gun));
                    c.call("repo.add", target(gun, "v1", "one").put("publish", true));
                }
                NotaryCli cached = NotaryCli.create(dir.resolve("cached"), RepoTestbed.server());
                assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");
                d.stop();

                d.start("rotate:" + step);
                try (CustodyClient c = d.client()) {
                    assertThatThrownBy(() -> c.call(
                                    "key.rotate", params("gun", gun, "role", role, "serverManaged", serverManaged)))
                            .isNotNull();
                }
                assertThat(d.awaitExit()).isEqualTo(137);

                d.start(null);
                try (CustodyClient c = d.client()) {
                    assertNothingPending(c);
                    int root = version(gun, "root");
                    if (step.equals("planned") || step.equals("key-created")) {
                        assertThat(root).as("rolled back").isEqualTo(1);
                        c.call("key.rotate", params("gun", gun, "role", role, "serverManaged", serverManaged));
                    }
                    // the rotated repository still takes a publish
                    c.call("repo.add", target(gun, "v2", "two").put("publish", true));
                }
                assertThat(version(gun, "root"))
                        .as("exactly one new root version")
                        .isEqualTo(2);
                assertThat(version(gun, "targets")).isEqualTo(role.equals("targets") ? 3 : 2);
                assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1", "v2");
            }
        });
    }
}
