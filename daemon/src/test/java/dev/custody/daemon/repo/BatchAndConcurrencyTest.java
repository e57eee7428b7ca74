package dev.custody.daemon.repo;

import static dev.custody.daemon.repo.testing.RepoTestbed.params;
import static dev.custody.daemon.repo.testing.RepoTestbed.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.repo.testing.RepoTestbed;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.testhsm.NotaryList;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.server.NotaryClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 10,000 targets in one request (timed), and concurrent CI callers on one GUN losing nothing. */
@Requires(Capability.LINUX)
class BatchAndConcurrencyTest {
    private static final Duration LIMIT = Duration.ofMinutes(3);

    @TempDir
    Path dir;

    @Test
    void addBatch_tenThousandTargets_publishedAndListedByNotary() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (RepoTestbed t = RepoTestbed.start(dir, "")) {
                String gun = RepoTestbed.newGun("batch");
                try (CustodyClient c = t.client()) {
                    c.call("repo.init", params("gun", gun));
                    ObjectNode p = params("gun", gun);
                    ArrayNode targets = p.putArray("targets");
                    for (int i = 0; i < 10_000; i++) {
                        targets.addObject()
                                .put("name", "pkg/file-" + i)
                                .put("length", 1000 + i)
                                .put("sha256", RepoTestbed.sha256("content " + i));
                    }
                    long t0 = System.nanoTime();
                    JsonNode staged = c.call("repo.addBatch", p);
                    long t1 = System.nanoTime();
                    JsonNode pub = c.call("repo.publish", params("gun", gun));
                    long t2 = System.nanoTime();
                    assertThat(staged.get("staged").asInt()).isEqualTo(10_000);
                    assertThat(pub.get("targets").asInt()).isEqualTo(10_000);
                    System.out.printf(
                            "FIGURE repo.addBatch 10000 targets: %d ms; repo.publish (init + 10000 targets): %d ms%n",
                            (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);
                }
                assertThat(NotaryList.parse(t.notary("check").ok("list", gun))).hasSize(10_000);
            }
        });
    }

    @Test
    void addWithPublish_concurrentCallersOnOneGun_serialisedNothingLost() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (RepoTestbed t = RepoTestbed.start(dir, "")) {
                String gun = RepoTestbed.newGun("concurrent");
                try (CustodyClient c = t.client()) {
                    c.call("repo.init", params("gun", gun));
                    c.call("repo.add", target(gun, "base", "base").put("publish", true));
                }
                int callers = 4;
                int each = 5;
                ExecutorService pool = Executors.newFixedThreadPool(callers);
                List<Future<?>> done = new ArrayList<>();
                for (int k = 0; k < callers; k++) {
                    int ck = k;
                    done.add(pool.submit(() -> {
                        try (CustodyClient c = t.client()) {
                            for (int i = 0; i < each; i++) {
                                c.call(
                                        "repo.add",
                                        target(gun, "ci-" + ck + "-" + i, "x" + ck + i)
                                                .put("publish", true));
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
                pool.shutdown();
                int v = Signed.parse(
                                NotaryClient.builder(RepoTestbed.server().url())
                                        .build()
                                        .getRole(gun, "targets"),
                                "targets")
                        .version();
                assertThat(v).as("one version per publishing call").isEqualTo(1 + callers * each);
                assertThat(NotaryList.parse(t.notary("check").ok("list", gun))).hasSize(1 + callers * each);
            }
        });
    }
}
