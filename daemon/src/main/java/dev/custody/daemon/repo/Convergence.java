package dev.custody.daemon.repo;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When to try a superseded publish again: right away the first time, then after a jittered,
 * doubling pause (50 ms up to 2 s, each drawn uniformly from half to all of it, so daemons that
 * collided do not collide again in step), for as long as the configured deadline
 * ({@code publishConvergeTimeout}, 30 s) allows.
 */
final class Convergence {
    private static final long FIRST_MS = 50;
    private static final long MAX_MS = 2000;

    private final long deadlineNanos;
    private int attempt = 1;

    Convergence(Duration timeout) {
        this.deadlineNanos = System.nanoTime() + timeout.toNanos();
    }

    /** The attempt being made (1 for the first). */
    int attempt() {
        return attempt;
    }

    /**
     * After a superseded attempt: waits the backoff and returns true, or returns false (without
     * waiting) when the next attempt would start after the deadline.
     */
    boolean pauseBeforeNext() throws InterruptedException {
        long cap = attempt == 1 ? 0 : Math.min(MAX_MS, FIRST_MS << Math.min(attempt - 2, 10));
        long pause = cap == 0
                ? ThreadLocalRandom.current().nextLong(0, FIRST_MS / 2 + 1)
                : ThreadLocalRandom.current().nextLong(cap / 2, cap + 1);
        if (System.nanoTime() + pause * 1_000_000 > deadlineNanos) {
            return false;
        }
        Thread.sleep(pause);
        attempt++;
        return true;
    }
}
