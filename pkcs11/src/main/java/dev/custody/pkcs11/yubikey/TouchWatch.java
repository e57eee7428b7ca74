package dev.custody.pkcs11.yubikey;

import dev.custody.pkcs11.TokenException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Times each signature of one YubiKey: past the threshold the {@link TouchNotifier} is told "touch the
 * YubiKey with serial N", and told again when the signature is done. A notifier that fails or hangs does
 * not hold up the signature.
 */
final class TouchWatch {
    private static final System.Logger LOG = System.getLogger(YubikeyToken.class.getName());
    private static final ScheduledExecutorService TIMER = timer();

    private final String serial;
    private final TouchNotifier touch;
    private final Duration threshold;

    TouchWatch(String serial, TouchNotifier touch, Duration threshold) {
        this.serial = serial;
        this.touch = touch;
        this.threshold = threshold;
    }

    private static ScheduledExecutorService timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "yubikey-touch-timer");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    @FunctionalInterface
    interface TokenCall<T> {
        T call() throws TokenException;
    }

    /** Runs a signature; if it takes longer than the threshold, tells the notifier to ask for a touch. */
    <T> T watch(PivSlot slot, TokenCall<T> call) throws TokenException {
        TouchNotifier.TouchRequest request = new TouchNotifier.TouchRequest(serial, slot, threshold);
        ScheduledFuture<?> timer = TIMER.schedule(
                () -> notify(() -> touch.touchRequired(request)), threshold.toNanos(), TimeUnit.NANOSECONDS);
        try {
            return call.call();
        } finally {
            if (!timer.cancel(false)) {
                try {
                    timer.get(5, TimeUnit.SECONDS); // let touchRequired finish before touchFinished
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (ExecutionException | TimeoutException e) {
                    // a notifier that failed or hangs does not hold up the signature
                }
                notify(() -> touch.touchFinished(request));
            }
        }
    }

    private static void notify(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "touch notifier failed: {0}", e.toString());
        }
    }
}
