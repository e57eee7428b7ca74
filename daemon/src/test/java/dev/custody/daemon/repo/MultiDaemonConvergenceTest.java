package dev.custody.daemon.repo;

import static dev.custody.daemon.repo.testing.RepoTestbed.params;
import static dev.custody.daemon.repo.testing.RepoTestbed.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.repo.testing.ChildDaemon;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryServer;
import dev.custody.testhsm.Postgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several signing hosts, one notary-server on PostgreSQL: three custodyd (child JVMs), each with its own
 * SoftHSM2 token, state and delegation key, the snapshot and timestamp keys on the server. They publish
 * at the same time — each to its own delegation, and two of them to one shared delegation — while one
 * of them is killed with SIGKILL and restarted. Every call of the two others succeeds (the daemons
 * converge on the server's VERSION refusals themselves), the real {@code notary list} shows every
 * target exactly once, nothing stays staged and no journaled operation stays open.
 */
@Requires(Capability.LINUX)
class MultiDaemonConvergenceTest {
    private static final Duration LIMIT = Duration.ofMinutes(4);
    private static final int PER_STREAM = 6;
    private static Postgres pg;
    private static NotaryServer server;
    private static Path serverDir;

    @TempDir
    Path dir;

    @BeforeAll
    static void startServer() throws Exception {
        pg = Postgres.start();
        serverDir = Files.createTempDirectory("custody-multi-notary-");
        server = NotaryServer.startHttpPostgres(serverDir, pg.notaryServerUrl());
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    /** One stream of publishes: {@code count} targets named {@code prefix + i} into {@code role} on one daemon. */
    private record Stream(ChildDaemon daemon, String role, String prefix) {}

    @Test
    void publish_threeDaemonsConcurrentlyOneKilled_everyTargetOnceNothingStaged() {
        assertTimeoutPreemptively(LIMIT, () -> {
            String gun = "example.com/multi/" + Long.toHexString(System.nanoTime());
            List<ChildDaemon> ds = new ArrayList<>();
            try {
                for (int i = 1; i <= 3; i++) {
                    ChildDaemon d = new ChildDaemon(dir.resolve("d" + i), "", server.url());
                    ds.add(d);
                    d.start(null);
                }
                ChildDaemon d1 = ds.get(0);
                ChildDaemon d2 = ds.get(1);
                ChildDaemon d3 = ds.get(2);
                String rootKeyId;
                try (CustodyClient c = d1.client()) {
                    rootKeyId = c.call("repo.init", params("gun", gun, "serverManagedSnapshot", true, "publish", true))
                            .get("rootKeyIds")
                            .get(0)
                            .asText();
                }
                // one delegation per host, and targets/shared signed by host 2 or host 3
                Map<String, List<String>> delegationKeys = new LinkedHashMap<>();
                for (int i = 1; i <= 3; i++) {
                    delegationKeys.put("targets/host" + i, List.of(publicKey(ds.get(i - 1), gun, "targets/host" + i)));
                }
                delegationKeys.put(
                        "targets/shared",
                        List.of(publicKey(d2, gun, "targets/shared"), publicKey(d3, gun, "targets/shared")));
                try (CustodyClient c = d1.client()) {
                    for (Map.Entry<String, List<String>> e : delegationKeys.entrySet()) {
                        String prefix = e.getKey().substring("targets/".length()) + "/";
                        c.call(
                                "delegation.add",
                                params("gun", gun, "role", e.getKey(), "keys", e.getValue(), "paths", List.of(prefix)));
                    }
                    c.call("repo.publish", params("gun", gun));
                }
                for (ChildDaemon d : List.of(d2, d3)) {
                    try (CustodyClient c = d.client()) {
                        c.call("repo.adopt", params("gun", gun, "rootKeyIds", List.of(rootKeyId)));
                    }
                }

                List<Stream> streams = List.of(
                        new Stream(d1, "targets/host1", "host1/t"),
                        new Stream(d2, "targets/host2", "host2/t"),
                        new Stream(d2, "targets/shared", "shared/d2-"),
                        new Stream(d3, "targets/host3", "host3/t"),
                        new Stream(d3, "targets/shared", "shared/d3-"));
                List<String> failures = Collections.synchronizedList(new ArrayList<>());
                CountDownLatch d1Halfway = new CountDownLatch(1);
                CountDownLatch d1Back = new CountDownLatch(1);
                AtomicInteger d1Interrupted = new AtomicInteger();
                ExecutorService pool = Executors.newFixedThreadPool(streams.size());
                List<Future<?>> runs = new ArrayList<>();
                for (Stream s : streams) {
                    runs.add(pool.submit(() -> {
                        for (int i = 0; i < PER_STREAM; i++) {
                            String name = s.prefix() + i;
                            try (CustodyClient c = s.daemon().client()) {
                                c.call(
                                        "repo.add",
                                        target(gun, name, name)
                                                .put("role", s.role())
                                                .put("publish", true));
                            } catch (Exception e) {
                                if (s.daemon() != d1) {
                                    failures.add(name + ": " + e);
                                    continue;
                                }
                                // d1 was killed under this call: once it is back, the same command again
                                d1Interrupted.incrementAndGet();
                                d1Back.await(2, TimeUnit.MINUTES);
                                i--;
                            }
                            if (s.daemon() == d1 && i == PER_STREAM / 2 - 1) {
                                d1Halfway.countDown();
                            }
                        }
                        return null;
                    }));
                }
                // kill -9 of host 1 while everyone publishes, then start it again on the same state
                assertThat(d1Halfway.await(2, TimeUnit.MINUTES)).isTrue();
                Thread.sleep(150);
                d1.kill9();
                d1.start(null);
                d1Back.countDown();
                for (Future<?> f : runs) {
                    f.get(3, TimeUnit.MINUTES);
                }
                pool.shutdown();
                assertThat(failures)
                        .as("calls of the daemons that were not killed")
                        .isEmpty();

                for (ChildDaemon d : ds) {
                    try (CustodyClient c = d.client()) {
                        assertThat(c.status().pendingOperations())
                                .as("open journaled operations of " + d.dir())
                                .isEmpty();
                        assertThat(c.call("repo.status", params("gun", gun)).get("changes"))
                                .as("staged on " + d.dir())
                                .isEmpty();
                    }
                }
                NotaryCli notary = NotaryCli.create(dir.resolve("notary"), server);
                Map<String, Integer> seen = new LinkedHashMap<>();
                for (String role : delegationKeys.keySet()) {
                    for (String line : notary.ok("list", gun, "-r", role).split("\n")) {
                        String[] f = line.trim().split("\\s+");
                        if (f.length == 4 && !f[0].equals("NAME") && !f[0].startsWith("---")) {
                            seen.merge(f[0], 1, Integer::sum);
                        }
                    }
                }
                List<String> expected = new ArrayList<>();
                for (Stream s : streams) {
                    for (int i = 0; i < PER_STREAM; i++) {
                        expected.add(s.prefix() + i);
                    }
                }
                assertThat(seen.keySet()).containsExactlyInAnyOrderElementsOf(expected);
                assertThat(seen.values()).as("each target listed once").containsOnly(1);
            } finally {
                for (ChildDaemon d : ds) {
                    d.close();
                }
            }
        });
    }

    private static String publicKey(ChildDaemon d, String gun, String role) throws Exception {
        try (CustodyClient c = d.client()) {
            JsonNode k = c.call("key.generate", params("gun", gun, "role", role));
            return k.get("publicKey").asText();
        }
    }
}
