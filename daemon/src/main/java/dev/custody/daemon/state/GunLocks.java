package dev.custody.daemon.state;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Serialises operations on one repository (GUN): two CI jobs publishing to the same GUN run one
 * after the other, in arrival order (fair locks); different GUNs run in parallel.
 *
 * <p>Call sequence: {@code try (GunLocks.Held held = locks.lock(gun)) { … }}. A lock is released by
 * {@link Held#close()} on the thread that took it; entries for GUNs nobody holds or waits for are
 * removed, so the table does not grow with the number of GUNs ever seen.
 */
public final class GunLocks {
    private static final class Entry {
        final ReentrantLock lock = new ReentrantLock(true);
        int users; // holders + waiters; guarded by the map's compute()
    }

    /** A held GUN lock. {@link #close()} is idempotent. */
    public interface Held extends AutoCloseable {
        String gun();

        @Override
        void close();
    }

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

    /** Waits (interruptibly, fairly) for the lock on {@code gun}. */
    public Held lock(String gun) throws InterruptedException {
        Entry e = enter(gun);
        try {
            e.lock.lockInterruptibly();
        } catch (InterruptedException ie) {
            leave(gun, e);
            throw ie;
        }
        return new HeldLock(gun, e);
    }

    /** Waits at most {@code timeout} for the lock on {@code gun}; empty if it stayed busy. */
    public Optional<Held> tryLock(String gun, Duration timeout) throws InterruptedException {
        Entry e = enter(gun);
        boolean ok = false;
        try {
            ok = e.lock.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } finally {
            if (!ok) {
                leave(gun, e);
            }
        }
        return ok ? Optional.of(new HeldLock(gun, e)) : Optional.empty();
    }

    /** Runs {@code body} holding the lock on {@code gun}. */
    public <T> T withLock(String gun, Callable<T> body) throws Exception {
        Held held = lock(gun);
        try {
            return body.call();
        } finally {
            held.close();
        }
    }

    /** How many GUNs currently have a holder or a waiter (for status and leak tests). */
    public int activeGuns() {
        return entries.size();
    }

    /** Whether the calling thread holds the lock on {@code gun}. */
    public boolean isHeldByCurrentThread(String gun) {
        Entry e = entries.get(gun);
        return e != null && e.lock.isHeldByCurrentThread();
    }

    private Entry enter(String gun) {
        Objects.requireNonNull(gun, "gun");
        return entries.compute(gun, (k, e) -> {
            Entry x = e == null ? new Entry() : e;
            x.users++;
            return x;
        });
    }

    private void leave(String gun, Entry entry) {
        entries.compute(gun, (k, e) -> {
            if (e != entry) {
                throw new IllegalStateException("GUN lock table corrupted for " + gun);
            }
            return --e.users == 0 ? null : e;
        });
    }

    private final class HeldLock implements Held {
        private final String gun;
        private final Entry entry;
        private final AtomicBoolean released = new AtomicBoolean();

        HeldLock(String gun, Entry entry) {
            this.gun = gun;
            this.entry = entry;
        }

        @Override
        public String gun() {
            return gun;
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                entry.lock.unlock();
                leave(gun, entry);
            }
        }
    }
}
