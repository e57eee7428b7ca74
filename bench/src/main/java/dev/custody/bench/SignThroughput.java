package dev.custody.bench;

import dev.custody.pkcs11.HsmToken;
import dev.custody.pkcs11.KeyAlgorithm;
import dev.custody.pkcs11.PinSource;
import dev.custody.pkcs11.Pkcs11;
import dev.custody.pkcs11.Pkcs11Backend;
import dev.custody.pkcs11.SignatureFormat;
import dev.custody.pkcs11.TokenSelector;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * ECDSA P-256 signs per second through Custody's token layer ({@link HsmToken#signDigest}), with N
 * threads for S seconds after a 1 s warm-up. Prints one machine-readable line per thread count, in
 * the same shape as test-hsm's C {@code signbench}, so {@code scripts/bench.sh} can put both side by side.
 *
 * <p>Usage: {@code SignThroughput MODULE TOKEN SECONDS THREADS...}; PIN from $CUSTODY_BENCH_PIN.
 */
public final class SignThroughput {
    private SignThroughput() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: SignThroughput MODULE TOKEN SECONDS THREADS... (PIN in $CUSTODY_BENCH_PIN)");
            System.exit(2);
        }
        Path module = Path.of(args[0]);
        int seconds = Integer.parseInt(args[2]);
        Pkcs11.Backend which = Pkcs11.Backend.valueOf(System.getProperty("custody.bench.backend", "IPKCS11WRAPPER"));
        try (Pkcs11Backend backend = Pkcs11.open(which, module);
                HsmToken token = backend.open(TokenSelector.parse(args[1]), PinSource.env("CUSTODY_BENCH_PIN"))) {
            token.login();
            // One token key, labelled "custody-bench", shared with the C baseline (signbench KEY_LABEL) so
            // both sign with the same kind of object: SoftHSM2 decrypts a private token key on each C_Sign.
            byte[] id = "custody-bench".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            if (token.findKey(id).isEmpty()) {
                token.generateKeyPair(KeyAlgorithm.EC_P256, id, "custody-bench");
            }
            {
                byte[] digest = new byte[32];
                new SecureRandom().nextBytes(digest);
                for (int i = 3; i < args.length; i++) {
                    int threads = Integer.parseInt(args[i]);
                    run(token, id, digest, threads, 1); // warm-up (JIT, session pool)
                    long signs = run(token, id, digest, threads, seconds);
                    System.out.printf(
                            "layer=%s threads=%d seconds=%d signs=%d signs_per_sec=%.0f%n",
                            backend.name(), threads, seconds, signs, signs / (double) seconds);
                }
            }
        }
    }

    private static long run(HsmToken token, byte[] id, byte[] digest, int threads, int seconds) throws Exception {
        LongAdder count = new LongAdder();
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    while (!stop.get()) {
                        token.signDigest(id, digest, SignatureFormat.RAW);
                        count.increment();
                    }
                } catch (Exception e) {
                    errors.add(e);
                }
            });
            th.start();
            ts.add(th);
        }
        start.countDown();
        Thread.sleep(seconds * 1000L);
        stop.set(true);
        for (Thread th : ts) {
            th.join();
        }
        if (!errors.isEmpty()) {
            throw new IllegalStateException("signing failed during the benchmark", errors.get(0));
        }
        return count.sum();
    }
}
