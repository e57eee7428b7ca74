package dev.custody.daemon.repo;

import static dev.custody.daemon.repo.testing.RepoTestbed.params;
import static dev.custody.daemon.repo.testing.RepoTestbed.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.repo.testing.RepoTestbed;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.protocol.BadRequestException;
import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryList;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.server.NotaryClient;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Property 6, never publish what cannot be read back: a publish that would make targets.json larger than
 * the 10 MiB custodyd (and notary clients) read back is refused before signing, with the limit, the size
 * and how to split it; nothing reaches the server and the repository keeps working.
 */
@Requires(Capability.LINUX)
class RoleSizeTest {
    private static final Duration LIMIT = Duration.ofMinutes(4);
    private static final int PART = 2000;
    /** About 260 bytes per entry in targets.json: 42,000 of them make 10.4 MiB. */
    private static final int TARGETS = 42_000;

    private static final String LONG = "x".repeat(180);

    @TempDir
    Path dir;

    private static ObjectNode part(String gun, int from, int n) throws Exception {
        ObjectNode p = params("gun", gun);
        ArrayNode arr = p.putArray("targets");
        for (int i = from; i < from + n; i++) {
            String name = "big/" + LONG + "-" + i;
            arr.add(JsonNodeFactory.instance
                    .objectNode()
                    .put("name", name)
                    .put("length", 1000 + i)
                    .put("sha256", RepoTestbed.sha256(name)));
        }
        return p;
    }

    @Test
    void publish_targetsPastTheReadLimit_refusedBeforeSigningAndRepoStaysUsable() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (RepoTestbed t = RepoTestbed.start(dir, "");
                    CustodyClient c = t.client()) {
                String gun = RepoTestbed.newGun("size");
                c.call("repo.init", params("gun", gun));
                c.call("repo.add", target(gun, "v1", "one").put("publish", true));
                NotaryClient server =
                        NotaryClient.builder(RepoTestbed.server().url()).build();

                String id = null;
                for (int from = 0; from < TARGETS - PART; from += PART) {
                    ObjectNode p = part(gun, from, PART).put("more", true);
                    if (id != null) {
                        p.put("batchId", id);
                    }
                    id = c.call("repo.addBatch", p).get("batchId").asText();
                }
                ObjectNode last =
                        part(gun, TARGETS - PART, PART).put("batchId", id).put("publish", true);
                assertThatThrownBy(() -> c.call("repo.addBatch", last))
                        .isInstanceOf(BadRequestException.class)
                        .hasMessageContaining("refusing to publish")
                        .hasMessageContaining("role targets")
                        .hasMessageContaining("10.0 MiB (10485760 bytes)")
                        .hasMessageContaining("delegation add")
                        .hasMessageContaining("Nothing was signed or sent");

                assertThat(Signed.parse(server.getRole(gun, "targets"), "targets")
                                .version())
                        .as("nothing sent")
                        .isEqualTo(1);
                assertThat(c.call("repo.status", params("gun", gun)).get("changes"))
                        .as("the batch stays staged")
                        .hasSize(TARGETS);
                assertThat(c.call("repo.list", params("gun", gun)).get("targets"))
                        .hasSize(1);

                c.call("repo.reset", params("gun", gun));
                c.call("repo.add", target(gun, "v2", "two").put("publish", true));
                NotaryCli n = t.notary("reader");
                assertThat(NotaryList.parse(n.ok("list", gun))).containsOnlyKeys("v1", "v2");
            }
        });
    }

    @Test
    void limit_isTheSmallestReadLimit() {
        assertThat(RoleSizes.limit("targets")).isEqualTo(10L << 20);
        assertThat(RoleSizes.limit("targets/releases")).isEqualTo(10L << 20);
        assertThat(RoleSizes.limit("root")).isEqualTo(10L << 20);
        assertThat(RoleSizes.limit("timestamp")).isEqualTo(1L << 20);
        assertThatThrownBy(() -> RoleSizes.check("g", "snapshot", (10L << 20) + 1, true))
                .isInstanceOf(RoleTooLargeException.class)
                .hasMessageContaining("fewer delegated roles");
    }
}
