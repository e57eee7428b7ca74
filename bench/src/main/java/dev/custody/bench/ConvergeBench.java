package dev.custody.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.testhsm.NotaryServer;
import dev.custody.testhsm.Postgres;
import dev.custody.testhsm.SoftHsm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * N custodyd (child JVMs, each with its own SoftHSM2 token, state and delegation {@code targets/hostK}),
 * M parallel clients each, publishing one target per {@code repo.add -p} for S seconds to one GUN on one
 * notary-server (memory store, or PostgreSQL), the snapshot and timestamp keys on the server. Prints one
 * line: publishes per second, publishes that needed more than one attempt, attempts retried, failures,
 * median and 95th percentile latency.
 *
 * <p>{@code java -cp <daemon + test-hsm + bench classes> dev.custody.bench.ConvergeBench N M S memory|postgres}
 * (scripts/bench-converge.sh); SoftHSM2 tokens in a private directory under the work directory.
 */
public final class ConvergeBench {
    private static SoftHsm hsm;

    private ConvergeBench() {}

    public static void main(String[] args) throws Exception {
        int daemons = Integer.parseInt(args[0]);
        int clients = Integer.parseInt(args[1]);
        int seconds = Integer.parseInt(args[2]);
        boolean pgBackend = args[3].equals("postgres");
        Path work = Files.createTempDirectory("custody-converge-bench-");
        hsm = SoftHsm.open(work.resolve("softhsm"));
        Postgres pg = pgBackend ? Postgres.start() : null;
        NotaryServer server = pg == null
                ? NotaryServer.startHttp(work.resolve("notary"))
                : NotaryServer.startHttpPostgres(work.resolve("notary"), pg.notaryServerUrl());
        List<Process> procs = new ArrayList<>();
        try {
            List<Path> sockets = new ArrayList<>();
            for (int i = 1; i <= daemons; i++) {
                Path dir = Files.createDirectories(work.resolve("d" + i));
                procs.add(startDaemon(dir, server.url()));
                sockets.add(dir.resolve("run/custody.sock"));
            }
            for (Path s : sockets) {
                awaitServing(s);
            }
            String gun = "example.com/bench/" + Long.toHexString(System.nanoTime());
            setUp(gun, sockets);
            Tally tally = run(gun, sockets, clients, seconds);
            System.out.printf(
                    "backend=%s daemons=%d clients_per_daemon=%d publishes=%d publishes_per_sec=%.1f"
                            + " retried_publishes=%d extra_attempts=%d failed=%d p50_ms=%d p95_ms=%d%n",
                    args[3],
                    daemons,
                    clients,
                    tally.ok.get(),
                    tally.ok.get() / tally.seconds,
                    tally.retriedPublishes.get(),
                    tally.extraAttempts.get(),
                    tally.failed.get(),
                    tally.percentile(0.5),
                    tally.percentile(0.95));
        } finally {
            for (Process p : procs) {
                p.destroy();
            }
            for (Process p : procs) {
                p.waitFor();
            }
            server.close();
            if (pg != null) {
                pg.close();
            }
            try (java.util.stream.Stream<Path> all = Files.walk(work)) {
                all.sorted(java.util.Comparator.reverseOrder())
                        .forEach(f -> f.toFile().delete());
            }
        }
    }

    /** What the clients counted: publishes, retries, failures, latencies (ms) and the run's length. */
    private static final class Tally {
        final AtomicLong ok = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong retriedPublishes = new AtomicLong();
        final AtomicLong extraAttempts = new AtomicLong();
        final List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        double seconds;

        long percentile(double q) {
            List<Long> sorted = new ArrayList<>(latencies);
            sorted.sort(null);
            return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * q)));
        }
    }

    /** {@code clients} closed-loop publishers per daemon for {@code seconds}, each on its own connection. */
    private static Tally run(String gun, List<Path> sockets, int clients, int seconds) throws Exception {
        Tally tally = new Tally();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        ExecutorService pool = Executors.newFixedThreadPool(sockets.size() * clients);
        List<Future<?>> runs = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int d = 0; d < sockets.size(); d++) {
            for (int c = 0; c < clients; c++) {
                Path sock = sockets.get(d);
                String role = "targets/host" + (d + 1);
                String prefix = "host" + (d + 1) + "/c" + c + "-";
                runs.add(pool.submit(() -> {
                    publishUntil(end, sock, gun, role, prefix, tally);
                    return null;
                }));
            }
        }
        for (Future<?> f : runs) {
            f.get();
        }
        tally.seconds = (System.nanoTime() - t0) / 1e9;
        pool.shutdown();
        return tally;
    }

    /** One client: {@code repo.add -p} of a new target into {@code role} until {@code end}. */
    private static void publishUntil(long end, Path sock, String gun, String role, String prefix, Tally tally)
            throws IOException {
        int i = 0;
        try (CustodyClient cl = CustodyClient.connect(sock, Duration.ofSeconds(120))) {
            while (System.nanoTime() < end) {
                String name = prefix + i++;
                long s = System.nanoTime();
                try {
                    JsonNode r = cl.call(
                            "repo.add", target(gun, name).put("role", role).put("publish", true));
                    tally.latencies.add((System.nanoTime() - s) / 1_000_000);
                    tally.ok.incrementAndGet();
                    int attempts = r.path("published").path("attempts").asInt(1);
                    if (attempts > 1) {
                        tally.retriedPublishes.incrementAndGet();
                        tally.extraAttempts.addAndGet(attempts - 1);
                    }
                } catch (Exception e) {
                    tally.failed.incrementAndGet();
                    System.err.println(name + ": " + e.getMessage());
                }
            }
        }
    }

    /** Host 1 creates the GUN (snapshot key on the server) and one delegation per host; the others adopt it. */
    private static void setUp(String gun, List<Path> sockets) throws Exception {
        String rootKeyId;
        try (CustodyClient c = CustodyClient.connect(sockets.get(0), Duration.ofSeconds(120))) {
            rootKeyId = c.call(
                            "repo.init",
                            params().put("gun", gun)
                                    .put("serverManagedSnapshot", true)
                                    .put("publish", true))
                    .get("rootKeyIds")
                    .get(0)
                    .asText();
        }
        List<String> pems = new ArrayList<>();
        for (int i = 0; i < sockets.size(); i++) {
            try (CustodyClient c = CustodyClient.connect(sockets.get(i), Duration.ofSeconds(120))) {
                pems.add(c.call("key.generate", params().put("gun", gun).put("role", "targets/host" + (i + 1)))
                        .get("publicKey")
                        .asText());
            }
        }
        try (CustodyClient c = CustodyClient.connect(sockets.get(0), Duration.ofSeconds(120))) {
            for (int i = 0; i < sockets.size(); i++) {
                ObjectNode p = params().put("gun", gun).put("role", "targets/host" + (i + 1));
                p.putArray("keys").add(pems.get(i));
                p.putArray("paths").add("host" + (i + 1) + "/");
                c.call("delegation.add", p);
            }
            c.call("repo.publish", params().put("gun", gun));
        }
        for (int i = 1; i < sockets.size(); i++) {
            try (CustodyClient c = CustodyClient.connect(sockets.get(i), Duration.ofSeconds(120))) {
                ObjectNode p = params().put("gun", gun);
                p.putArray("rootKeyIds").add(rootKeyId);
                c.call("repo.adopt", p);
            }
        }
    }

    private static Process startDaemon(Path dir, String url) throws IOException {
        SoftHsm.Token token = hsm.createToken("conv-" + dir.getFileName() + "-"
                + Long.toHexString(System.nanoTime()).substring(0, 6));
        String yaml = """
        stateDir: %s/state
        socket:
          path: %s/run/custody.sock
          group: ~
        tokens:
          - name: main
            module: %s
            label: %s
            pin: env:CUSTODY_BENCH_PIN
        servers:
          - name: default
            url: %s
        limits:
          maxInFlightPerCaller: 16
          workerThreads: 16
        """.formatted(dir, dir, SoftHsm.MODULE, token.label(), url);
        Files.writeString(dir.resolve("custodyd.yaml"), yaml, StandardCharsets.UTF_8);
        ProcessBuilder pb = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        "dev.custody.daemon.Main",
                        "--config",
                        dir.resolve("custodyd.yaml").toString())
                .redirectOutput(dir.resolve("stdout.log").toFile())
                .redirectError(dir.resolve("stderr.log").toFile());
        pb.environment().putAll(hsm.env());
        pb.environment().put("CUSTODY_BENCH_PIN", token.userPin());
        return pb.start();
    }

    private static void awaitServing(Path socket) throws Exception {
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (true) {
            try (CustodyClient c = CustodyClient.connect(socket, Duration.ofSeconds(10))) {
                c.ping();
                return;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("custodyd at " + socket + " did not serve", e);
                }
                Thread.sleep(100);
            }
        }
    }

    private static ObjectNode params() {
        return JsonNodeFactory.instance.objectNode();
    }

    private static ObjectNode target(String gun, String name) throws Exception {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        String sha =
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        return params().put("gun", gun)
                .put("target", name)
                .put("length", (long) b.length)
                .put("sha256", sha);
    }
}
