package dev.custody.daemon.repo;

import static dev.custody.daemon.repo.testing.RepoTestbed.params;
import static dev.custody.daemon.repo.testing.RepoTestbed.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.policy.UnixAccounts;
import dev.custody.daemon.repo.testing.RepoTestbed;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.protocol.ConflictException;
import dev.custody.protocol.MetadataInvalidException;
import dev.custody.testhsm.HostileNotary;
import dev.custody.testhsm.NotaryList;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.server.NotaryClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two custodyd sharing one delegation on one notary-server; host B talks to it through a
 * {@link HostileNotary} that holds B's POST until host A has published: B's POST arrives out of date.
 * B converges by itself (re-read, re-apply, re-sign, re-send), or — with no time to converge — fails
 * CONFLICT saying what stays staged. A server that answers 200 and stores nothing is caught by the
 * read-back. A caller's publish carries its own staged changes only.
 */
@Requires(Capability.LINUX)
class ConvergenceTest {
    private static final Duration LIMIT = Duration.ofMinutes(3);

    @TempDir
    Path dir;

    /** A (server default) made the repository, B adopted it; both hold a key of targets/shared. */
    private record Pair(RepoTestbed a, RepoTestbed b, String gun) implements AutoCloseable {
        @Override
        public void close() {
            a.close();
            b.close();
        }
    }

    private Pair pair(HostileNotary proxy, String yamlB) throws Exception {
        String gun = RepoTestbed.newGun("converge");
        RepoTestbed a = RepoTestbed.start(Files.createDirectories(dir.resolve("a")), "");
        RepoTestbed b = RepoTestbed.start(
                Files.createDirectories(dir.resolve("b")), yamlB, "  - name: hostile\n    url: " + proxy.url() + "\n");
        String rootKeyId;
        try (CustodyClient c = a.client()) {
            rootKeyId = c.call("repo.init", params("gun", gun, "serverManagedSnapshot", true, "publish", true))
                    .get("rootKeyIds")
                    .get(0)
                    .asText();
        }
        String keyB;
        try (CustodyClient c = b.client()) {
            keyB = c.call("key.generate", params("gun", gun, "role", "targets/shared"))
                    .get("publicKey")
                    .asText();
        }
        try (CustodyClient c = a.client()) {
            c.call(
                    "delegation.add",
                    params(
                            "gun",
                            gun,
                            "role",
                            "targets/shared",
                            "keys",
                            List.of(SeedWorkflowTest.pem(a.newKey(gun, "targets/shared")), keyB),
                            "allPaths",
                            true,
                            "publish",
                            true));
        }
        try (CustodyClient c = b.client()) {
            JsonNode adopted = c.call("repo.adopt", params("gun", gun, "rootKeyIds", List.of(rootKeyId)));
            assertThat(adopted.get("roles").get("snapshot").get("location").asText())
                    .isEqualTo("server");
            assertThat(adopted.get("notes").toString()).contains("the server signs it");
        }
        return new Pair(a, b, gun);
    }

    /** B adds {@code name} through the proxy while the proxy holds B's POST and A publishes {@code other}. */
    private static CompletableFuture<JsonNode> racedPublish(Pair p, HostileNotary proxy, String name, String other)
            throws Exception {
        proxy.stall("POST", HostileNotary.PUBLISH_PATH);
        CompletableFuture<JsonNode> b = CompletableFuture.supplyAsync(() -> {
            try (CustodyClient c = p.b().client()) {
                return c.call(
                        "repo.add",
                        target(p.gun(), name, name)
                                .put("role", "targets/shared")
                                .put("server", "hostile")
                                .put("publish", true));
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        assertThat(proxy.awaitStalled(1, Duration.ofSeconds(60)))
                .as("B's POST held")
                .isTrue();
        try (CustodyClient c = p.a().client()) {
            c.call(
                    "repo.add",
                    target(p.gun(), other, other).put("role", "targets/shared").put("publish", true));
        }
        proxy.reset();
        return b;
    }

    @Test
    void publish_anotherHostPublishedFirst_convergesWithoutTheCaller() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (HostileNotary proxy = HostileNotary.start(RepoTestbed.server().url());
                    Pair p = pair(proxy, "")) {
                JsonNode r = racedPublish(p, proxy, "from-b", "from-a").get(60, TimeUnit.SECONDS);
                assertThat(r.get("published").get("attempts").asInt())
                        .as("attempts")
                        .isEqualTo(2);
                assertThat(list(p)).containsOnlyKeys("from-a", "from-b");
                try (CustodyClient c = p.b().client()) {
                    assertThat(c.call("repo.status", params("gun", p.gun())).get("changes"))
                            .isEmpty();
                    assertThat(c.status().pendingOperations()).isEmpty();
                }
                String audit = Files.readString(dir.resolve("b/state/audit.log"));
                assertThat(audit).contains("repo.publish.attempt").contains("superseded");
                assertThat(stateText(dir.resolve("b/state"))).contains("superseded");
            }
        });
    }

    @Test
    void publish_noTimeToConverge_conflictSayingWhatStaysStaged() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (HostileNotary proxy = HostileNotary.start(RepoTestbed.server().url());
                    Pair p = pair(proxy, "publishConvergeTimeout: 0s\n")) {
                CompletableFuture<JsonNode> b = racedPublish(p, proxy, "late", "early");
                assertThatThrownBy(() -> b.get(60, TimeUnit.SECONDS))
                        .hasCauseInstanceOf(ConflictException.class)
                        .cause()
                        .hasMessageContaining("stay staged")
                        .hasMessageContaining("'late'")
                        .hasMessageContaining("custody publish " + p.gun());
                try (CustodyClient c = p.b().client()) {
                    assertThat(c.status().pendingOperations()).isEmpty();
                    JsonNode staged =
                            c.call("repo.status", params("gun", p.gun())).get("changes");
                    assertThat(staged).hasSize(1);
                    assertThat(staged.get(0).get("path").asText()).isEqualTo("late");
                    assertThat(staged.get(0).get("stagedBy").asLong()).isEqualTo(UnixAccounts.selfUid());
                    // the retry the message names
                    c.call("repo.publish", params("gun", p.gun()));
                }
                assertThat(list(p)).containsOnlyKeys("early", "late");
            }
        });
    }

    @Test
    void publish_serverAnswers200AndStoresNothing_failsAndKeepsTheChangesStaged() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (HostileNotary proxy = HostileNotary.start(RepoTestbed.server().url());
                    Pair p = pair(proxy, "")) {
                int before = version(p.gun(), "targets/shared");
                proxy.dropPublishes();
                try (CustodyClient c = p.b().client()) {
                    assertThatThrownBy(() -> c.call(
                                    "repo.add",
                                    target(p.gun(), "dropped", "dropped")
                                            .put("role", "targets/shared")
                                            .put("server", "hostile")
                                            .put("publish", true)))
                            .isInstanceOf(MetadataInvalidException.class)
                            .hasMessageContaining("did not store it")
                            .hasMessageContaining("stay staged");
                    assertThat(proxy.dropped()).isEqualTo(1);
                    assertThat(c.status().pendingOperations()).isEmpty();
                    assertThat(c.call("repo.status", params("gun", p.gun())).get("changes"))
                            .hasSize(1);
                    assertThat(version(p.gun(), "targets/shared")).isEqualTo(before);
                    assertThat(stateText(dir.resolve("b/state"))).contains("not stored");
                    proxy.reset();
                    c.call("repo.publish", params("gun", p.gun(), "server", "hostile"));
                    assertThat(c.call("repo.status", params("gun", p.gun())).get("changes"))
                            .isEmpty();
                }
                assertThat(list(p)).containsKey("dropped");
            }
        });
    }

    @Test
    void publish_anotherCallersLeftoverChange_staysStagedAndDoesNotBlock() {
        assertTimeoutPreemptively(LIMIT, () -> {
            String gun = RepoTestbed.newGun("ci");
            try (RepoTestbed t = RepoTestbed.start(dir, "")) {
                try (CustodyClient admin = t.client()) {
                    t.publishedWithDelegation(admin, gun, "targets/ci");
                }
                // another uid's change, left staged (its publish failed): a top-level target our CI rule may not
                // publish
                RepoState st = new RepoState(dir.resolve("state/repos"), gun);
                long other = UnixAccounts.selfUid() + 4242;
                st.stage(List.of(Change.target("targets", "theirs", 5L, RepoTestbed.sha256("their"), null, null)
                        .stagedBy(other)));
                int targetsBefore = version(gun, "targets");
                t.restart("""
            policy:
              rules:
                - name: ci-team
                  uids: [%d]
                  guns: ["example.com/ci/*"]
                  roles: [targets/ci]
                  operations: [add, remove, publish, read]
            """.formatted(UnixAccounts.selfUid()));
                try (CustodyClient ci = t.client()) {
                    ci.call(
                            "repo.add",
                            target(gun, "app-1.0", "app")
                                    .put("role", "targets/ci")
                                    .put("publish", true));
                }
                t.restart("");
                try (CustodyClient admin = t.client()) {
                    JsonNode left =
                            admin.call("repo.status", params("gun", gun)).get("changes");
                    assertThat(left).hasSize(1);
                    assertThat(left.get(0).get("path").asText()).isEqualTo("theirs");
                    assertThat(left.get(0).get("stagedBy").asLong()).isEqualTo(other);
                }
                assertThat(version(gun, "targets"))
                        .as("the other caller's role was not signed")
                        .isEqualTo(targetsBefore);
                assertThat(NotaryList.parse(t.notary("ci").ok("list", gun)))
                        .containsKeys("base", "app-1.0")
                        .doesNotContainKey("theirs");
            }
        });
    }

    private java.util.Map<String, List<String>> list(Pair p) throws Exception {
        return NotaryList.parse(p.a().notary("check").ok("list", p.gun(), "-r", "targets/shared"));
    }

    private static int version(String gun, String role) throws Exception {
        NotaryClient n = NotaryClient.builder(RepoTestbed.server().url()).build();
        try {
            return Signed.parse(n.getRole(gun, role), role).version();
        } catch (dev.custody.tuf.server.NotaryServerException e) {
            if (e.code() == dev.custody.tuf.server.NotaryServerException.Code.NOT_FOUND) {
                return 0;
            }
            throw e;
        }
    }

    /** Every journal and state file's text (what the journal says about an attempt). */
    private static String stateText(Path state) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> all = Files.walk(state)) {
            for (Path f : all.filter(Files::isRegularFile)
                    .filter(f -> f.toString().contains("journal"))
                    .toList()) {
                sb.append(Files.readString(f, StandardCharsets.UTF_8)).append('\n');
            }
        }
        return sb.toString();
    }
}
