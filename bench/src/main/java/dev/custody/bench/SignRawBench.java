package dev.custody.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.client.protocol.CustodyClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code sign.raw} (or {@code sign.batch}) signatures per second through a running custodyd's socket: N client threads, each
 * with its own connection, for S seconds after a 1 s warm-up. Every request is a full round trip:
 * JSON-RPC, policy, a token signature (C_Sign), and an audit line synced to disk before the reply.
 * Prints one line per thread count in the shape of test-hsm's C {@code signbench}
 * ({@code threads=… seconds=… signs=… signs_per_sec=…}), so {@code scripts/bench.sh} can put it
 * beside the raw C_Sign baseline.
 *
 * <p>With {@code --batch N} each request is a {@code sign.batch} of N payloads (one audit line and
 * one sync per batch) and {@code signs} counts signatures, not requests.
 *
 * <p>Usage: {@code SignRawBench [--batch N] SOCKET SECONDS THREADS...}. The key is made with
 * {@code key.generate} on the daemon's default token (whose PIN comes from the daemon's config).
 */
public final class SignRawBench {
    private SignRawBench() {}

    public static void main(String[] args) throws Exception {
        int batch = 0;
        if (args.length >= 2 && args[0].equals("--batch")) {
            batch = Integer.parseInt(args[1]);
            args = java.util.Arrays.copyOfRange(args, 2, args.length);
        }
        if (args.length < 3 || batch < 0) {
            System.err.println("usage: SignRawBench [--batch N] SOCKET SECONDS THREADS...");
            System.exit(2);
        }
        Path socket = Path.of(args[0]);
        int seconds = Integer.parseInt(args[1]);
        String keyId;
        try (CustodyClient c = CustodyClient.connect(socket, Duration.ofSeconds(60))) {
            keyId = c.call("key.generate", Map.of("role", "targets", "gun", "bench.example/app"))
                    .get("keyId")
                    .asText();
        }
        for (int i = 2; i < args.length; i++) {
            int threads = Integer.parseInt(args[i]);
            run(socket, keyId, batch, threads, 1); // warm-up
            long signs = run(socket, keyId, batch, threads, seconds);
            System.out.printf(
                    "threads=%d seconds=%d signs=%d signs_per_sec=%.1f elapsed_sec=%d key=%s%n",
                    threads,
                    seconds,
                    signs,
                    signs / (double) seconds,
                    seconds,
                    batch == 0 ? "sign.raw" : "sign.batch/" + batch);
        }
        try (CustodyClient c = CustodyClient.connect(socket, Duration.ofSeconds(60))) {
            c.call("key.remove", Map.of("keyId", keyId));
        }
    }

    private static long run(Path socket, String keyId, int batch, int threads, int seconds) throws Exception {
        String data = Base64.getEncoder()
                .encodeToString("custody bench payload: 64 bytes of metadata-ish data..."
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Map<String, Object> params = batch == 0
                ? Map.of("keyId", keyId, "data", data)
                : Map.of("keyId", keyId, "data", java.util.Collections.nCopies(batch, data));
        String method = batch == 0 ? "sign.raw" : "sign.batch";
        int per = batch == 0 ? 1 : batch;
        LongAdder count = new LongAdder();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Exception> failure = new AtomicReference<>();
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread w = new Thread(
                    () -> {
                        try (CustodyClient c = CustodyClient.connect(socket, Duration.ofSeconds(60))) {
                            ready.countDown();
                            go.await();
                            while (!stop.get()) {
                                JsonNode r = c.call(method, params);
                                if (batch == 0
                                        ? !r.has("signature")
                                        : r.path("signatures").size() != batch) {
                                    throw new IllegalStateException("no signature in " + r);
                                }
                                count.add(per);
                            }
                        } catch (Exception e) {
                            failure.compareAndSet(null, e);
                            ready.countDown();
                        }
                    },
                    "bench-" + t);
            workers.add(w);
            w.start();
        }
        ready.await();
        go.countDown();
        Thread.sleep(seconds * 1000L);
        stop.set(true);
        for (Thread w : workers) {
            w.join();
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return count.sum();
    }
}
