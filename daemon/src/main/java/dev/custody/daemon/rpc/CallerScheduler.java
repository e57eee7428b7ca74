package dev.custody.daemon.rpc;

import dev.custody.protocol.BusyException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Shares the execution permits ({@link ServerLimits#workerThreads()}) fairly between uids. A uid runs
 * at most its in-flight limit at once; its further requests wait in its own queue (first come, first
 * served) up to its queue bound, and only a request beyond that gets BUSY. When a permit is freed it
 * goes to the next uid in a round robin over the uids that have a request waiting, so a uid with 200
 * queued requests delays another uid's request by at most one method per uid ahead of it.
 *
 * <p>Call sequence, per request: {@link #enter} (may wait) → the method → {@link #exit}. Thread-safe;
 * one monitor, held only to update counts, never while a method runs.
 */
final class CallerScheduler {
    private final int permits;
    private int running; // guarded by this
    private final Map<Long, Uid> uids = new HashMap<>(); // guarded by this; uids with requests running or waiting
    /** Uids with a request waiting and room under their in-flight limit, in round-robin order. */
    private final ArrayDeque<Uid> ready = new ArrayDeque<>(); // guarded by this

    private static final class Uid {
        final long uid;
        int running;
        int maxRunning;
        final ArrayDeque<Ticket> waiting = new ArrayDeque<>();
        boolean inReady;

        Uid(long uid) {
            this.uid = uid;
        }
    }

    private static final class Ticket {
        final Thread thread = Thread.currentThread();
        volatile boolean granted;
    }

    CallerScheduler(int permits) {
        this.permits = permits;
    }

    /**
     * Waits for a permit for one request of {@code uid}.
     *
     * @param maxRunning requests of this uid executing at once
     * @param maxQueued requests of this uid waiting at once; one more gets BUSY
     * @throws BusyException the uid's queue is full
     * @throws InterruptedException the server is stopping; no permit is held
     */
    void enter(long uid, int maxRunning, int maxQueued) throws BusyException, InterruptedException {
        Ticket t;
        synchronized (this) {
            Uid u = uids.computeIfAbsent(uid, Uid::new);
            u.maxRunning = maxRunning;
            if (running < permits && u.running < maxRunning && u.waiting.isEmpty() && ready.isEmpty()) {
                running++;
                u.running++;
                return;
            }
            if (u.waiting.size() >= maxQueued) {
                if (u.running == 0 && u.waiting.isEmpty()) {
                    uids.remove(uid);
                }
                throw new BusyException(
                        "uid " + uid + " already has " + u.running + " request(s) running and "
                                + u.waiting.size() + " waiting (limits.maxInFlightPerCaller " + maxRunning
                                + ", limits.maxQueuedPerCaller " + maxQueued + "); retry when one finishes",
                        "maxQueuedPerCaller");
            }
            t = new Ticket();
            u.waiting.addLast(t);
            markReady(u);
            dispatch();
        }
        boolean interrupted = false;
        while (!t.granted) {
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(100));
            if (Thread.interrupted()) {
                interrupted = true;
                synchronized (this) {
                    if (!t.granted) {
                        Uid u = uids.get(uid);
                        u.waiting.remove(t);
                        forgetIfIdle(u);
                        throw new InterruptedException("stopped while waiting for an execution permit");
                    }
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Returns the permit of one request of {@code uid} that {@link #enter} admitted. */
    void exit(long uid) {
        synchronized (this) {
            running--;
            Uid u = uids.get(uid);
            u.running--;
            markReady(u);
            dispatch();
            forgetIfIdle(u);
        }
    }

    /** Requests of {@code uid} executing now. */
    synchronized int running(long uid) {
        Uid u = uids.get(uid);
        return u == null ? 0 : u.running;
    }

    /** Requests of {@code uid} waiting now. */
    synchronized int waiting(long uid) {
        Uid u = uids.get(uid);
        return u == null ? 0 : u.waiting.size();
    }

    private void markReady(Uid u) {
        if (!u.inReady && !u.waiting.isEmpty() && u.running < u.maxRunning) {
            u.inReady = true;
            ready.addLast(u);
        }
    }

    /** Hands free permits to waiting requests, one uid at a time in turn. */
    private void dispatch() {
        while (running < permits && !ready.isEmpty()) {
            Uid u = ready.pollFirst();
            u.inReady = false;
            Ticket t = u.waiting.pollFirst();
            if (t == null) {
                continue;
            }
            running++;
            u.running++;
            t.granted = true;
            LockSupport.unpark(t.thread);
            markReady(u); // to the back of the round
        }
    }

    private void forgetIfIdle(Uid u) {
        if (u.running == 0 && u.waiting.isEmpty()) {
            if (u.inReady) {
                ready.remove(u);
                u.inReady = false;
            }
            uids.remove(u.uid);
        }
    }
}
