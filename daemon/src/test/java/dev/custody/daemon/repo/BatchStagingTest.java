package dev.custody.daemon.repo;

import static dev.custody.daemon.repo.testing.RepoTestbed.params;
import static dev.custody.daemon.repo.testing.RepoTestbed.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.repo.testing.ChildDaemon;
import dev.custody.daemon.repo.testing.RepoTestbed;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.protocol.BadRequestException;
import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Property 5, all or nothing for a batch: {@code repo.addBatch} parts sent with {@code more: true} are kept
 * aside and staged only with the last part, in one changelist write; a daemon killed between parts or while
 * committing stages nothing, and the next publish pushes nothing of the batch.
 */
@Requires(Capability.LINUX)
class BatchStagingTest {
    private static final Duration LIMIT = Duration.ofMinutes(3);
    private static final int PART = 2000;

    @TempDir
    Path dir;

    /** {@code repo.addBatch} params with targets {@code prefix-from} … {@code prefix-(from+n-1)}. */
    private static ObjectNode part(String gun, String prefix, int from, int n) throws Exception {
        ObjectNode p = params("gun", gun);
        ArrayNode arr = p.putArray("targets");
        for (int i = from; i < from + n; i++) {
            String content = prefix + "-" + i;
            arr.add(JsonNodeFactory.instance
                    .objectNode()
                    .put("name", content)
                    .put("length", content.length())
                    .put("sha256", RepoTestbed.sha256(content)));
        }
        return p;
    }

    private static int staged(CustodyClient c, String gun) throws Exception {
        return c.call("repo.status", params("gun", gun)).get("changes").size();
    }

    @Test
    void addBatch_inParts_stagesNothingUntilTheLastPartThenEverything() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (RepoTestbed t = RepoTestbed.start(dir, "");
                    CustodyClient c = t.client()) {
                String gun = RepoTestbed.newGun("batch");
                c.call("repo.init", params("gun", gun));
                c.call("repo.add", target(gun, "before", "b"));
                JsonNode first = c.call("repo.addBatch", part(gun, "t", 0, PART).put("more", true));
                String id = first.get("batchId").asText();
                assertThat(first.get("received").asLong()).isEqualTo(PART);
                assertThat(staged(c, gun)).as("parts are not staged").isEqualTo(1);
                JsonNode second = c.call(
                        "repo.addBatch",
                        part(gun, "t", PART, PART).put("more", true).put("batchId", id));
                assertThat(second.get("received").asLong()).isEqualTo(2 * PART);
                assertThat(staged(c, gun)).isEqualTo(1);

                JsonNode last = c.call(
                        "repo.addBatch",
                        part(gun, "t", 2 * PART, 10).put("batchId", id).put("publish", true));
                assertThat(last.get("staged").asInt())
                        .as("published: nothing left staged")
                        .isZero();
                NotaryCli n = t.notary("reader");
                assertThat(NotaryList.parse(n.ok("list", gun)))
                        .hasSize(2 * PART + 10 + 1)
                        .containsKeys("t-0", "t-4009", "before");
                // the batch is closed
                assertThatThrownBy(() ->
                                c.call("repo.addBatch", part(gun, "t", 0, 1).put("batchId", id)))
                        .isInstanceOf(BadRequestException.class)
                        .hasMessageContaining("not open");
            }
        });
    }

    @Test
    void addBatch_partForAnotherGunOrUnknownBatch_refusedAndNothingStaged() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (RepoTestbed t = RepoTestbed.start(dir, "");
                    CustodyClient c = t.client()) {
                String gun = RepoTestbed.newGun("batch");
                String other = RepoTestbed.newGun("batch");
                c.call("repo.init", params("gun", gun));
                c.call("repo.init", params("gun", other));
                String id = c.call("repo.addBatch", part(gun, "t", 0, 3).put("more", true))
                        .get("batchId")
                        .asText();
                assertThatThrownBy(() ->
                                c.call("repo.addBatch", part(other, "t", 3, 3).put("batchId", id)))
                        .isInstanceOf(BadRequestException.class)
                        .hasMessageContaining(gun);
                assertThatThrownBy(() ->
                                c.call("repo.addBatch", part(gun, "t", 3, 3).put("batchId", "0".repeat(32))))
                        .isInstanceOf(BadRequestException.class)
                        .hasMessageContaining("not open");
                assertThatThrownBy(() -> c.call(
                                "repo.addBatch",
                                part(gun, "t", 3, 3).put("more", true).put("publish", true)))
                        .isInstanceOf(BadRequestException.class)
                        .hasMessageContaining("publish");
                assertThat(staged(c, gun)).isZero();
                assertThat(staged(c, other)).isZero();
                // the batch itself is still open and completes
                assertThat(c.call("repo.addBatch", part(gun, "t", 3, 3).put("batchId", id))
                                .get("staged")
                                .asInt())
                        .isEqualTo(6);
            }
        });
    }

    @ParameterizedTest(name = "killed at {0}")
    @ValueSource(strings = {"received-2", "committing"})
    void addBatch_killedBetweenPartsOrCommitting_stagesNothing(String step) {
        assertTimeoutPreemptively(LIMIT, () -> {
            String gun = RepoTestbed.newGun("batchcrash");
            try (ChildDaemon d = new ChildDaemon(dir, "")) {
                d.start(null);
                try (CustodyClient c = d.client()) {
                    c.call("repo.init", params("gun", gun));
                    c.call("repo.add", target(gun, "v1", "one").put("publish", true));
                }
                d.stop();

                d.start("batch:" + step);
                try (CustodyClient c = d.client()) {
                    assertThatThrownBy(() -> {
                                String id = c.call(
                                                "repo.addBatch",
                                                part(gun, "t", 0, PART).put("more", true))
                                        .get("batchId")
                                        .asText();
                                c.call(
                                        "repo.addBatch",
                                        part(gun, "t", PART, PART)
                                                .put("more", true)
                                                .put("batchId", id));
                                c.call(
                                        "repo.addBatch",
                                        part(gun, "t", 2 * PART, PART)
                                                .put("batchId", id)
                                                .put("publish", true));
                            })
                            .isNotNull();
                }
                assertThat(d.awaitExit()).isEqualTo(137);

                d.start(null);
                try (CustodyClient c = d.client()) {
                    assertThat(staged(c, gun))
                            .as("nothing of the batch is staged")
                            .isZero();
                    try (Stream<Path> left = Files.exists(dir.resolve("state/batches"))
                            ? Files.list(dir.resolve("state/batches"))
                            : Stream.empty()) {
                        assertThat(left).as("side files removed at start").isEmpty();
                    }
                    c.call("repo.add", target(gun, "v2", "two").put("publish", true));
                }
                NotaryCli n = NotaryCli.create(dir.resolve("reader"), RepoTestbed.server());
                assertThat(NotaryList.parse(n.ok("list", gun))).containsOnlyKeys("v1", "v2");
            }
        });
    }
}
