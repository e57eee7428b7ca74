package dev.custody.daemon.rpc;

import java.util.concurrent.CountDownLatch;

/** Waits that give up on an interrupt and keep the thread's interrupt status for its caller. */
public final class Quietly {
    private Quietly() {}

    /** Waits until {@code latch} reaches zero, or the thread is interrupted. */
    public static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sleeps {@code ms} milliseconds, or until the thread is interrupted. */
    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
