package dev.custody.daemon;

import java.io.Closeable;
import java.lang.System.Logger.Level;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Gives memory back after a burst: when custodyd has served requests and then none for
 * {@code quietSeconds}, a few full collections run (with {@code bin/custodyd}'s SerialGC and
 * {@code MaxHeapFreeRatio} the heap then shrinks and its pages return to the system). Once per quiet
 * spell; nothing runs while custodyd is busy or stays idle.
 */
final class IdleTrim implements Closeable {
    private static final System.Logger LOG = System.getLogger(IdleTrim.class.getName());

    static final int SHRINK_COLLECTIONS = 4;
    private final LongSupplier served;
    private final long quietNanos;
    private final ScheduledExecutorService timer;
    private long lastSeen = -1; // only the timer thread touches these
    private long lastChange = System.nanoTime();
    private boolean trimmed = true;

    IdleTrim(LongSupplier served, long quietSeconds) {
        this.served = served;
        this.quietNanos = TimeUnit.SECONDS.toNanos(quietSeconds);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "custodyd-idle-trim");
            t.setDaemon(true);
            t.setPriority(Thread.MIN_PRIORITY);
            return t;
        });
        long period = Math.max(1, quietSeconds / 3);
        timer.scheduleWithFixedDelay(this::tick, period, period, TimeUnit.SECONDS);
    }

    private void tick() {
        long n = served.getAsLong();
        long now = System.nanoTime();
        if (n != lastSeen) {
            lastSeen = n;
            lastChange = now;
            trimmed = false;
        } else if (!trimmed && now - lastChange >= quietNanos) {
            trimmed = true;
            Runtime rt = Runtime.getRuntime();
            long before = rt.totalMemory();
            // SerialGC shrinks the old generation in steps over consecutive full collections (0 %, 10 %, 40 %,
            // 100 % of the excess): four in a row bring the heap down to MaxHeapFreeRatio at once.
            for (int i = 0; i < SHRINK_COLLECTIONS; i++) {
                System.gc(); // NOPMD: the point of this class
            }
            LOG.log(Level.DEBUG, "idle: heap " + (before >> 20) + " MiB -> " + (rt.totalMemory() >> 20) + " MiB");
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
