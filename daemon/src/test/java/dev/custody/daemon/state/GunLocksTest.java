package dev.custody.daemon.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class GunLocksTest {
    private static final Duration LIMIT = Duration.ofSeconds(20);
    private final GunLocks locks = new GunLocks();

    @Test
    void lock_sameGun_neverOverlaps() {
        assertTimeoutPreemptively(LIMIT, () -> {
            AtomicInteger inside = new AtomicInteger();
            AtomicInteger maxInside = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<Object>> fs = new java.util.ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    fs.add(pool.submit(() -> locks.withLock("example.com/app", () -> {
                        int n = inside.incrementAndGet();
                        maxInside.accumulateAndGet(n, Math::max);
                        Thread.yield();
                        inside.decrementAndGet();
                        return null;
                    })));
                }
                for (Future<Object> f : fs) {
                    f.get();
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(maxInside.get()).isEqualTo(1);
            assertThat(locks.activeGuns()).as("no entries leak").isZero();
        });
    }

    @Test
    void lock_differentGuns_runInParallel() {
        assertTimeoutPreemptively(LIMIT, () -> {
            CountDownLatch bothIn = new CountDownLatch(2);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<?> a = pool.submit(() -> locks.withLock("g/a", () -> {
                    bothIn.countDown();
                    return bothIn.await(5, TimeUnit.SECONDS);
                }));
                Future<?> b = pool.submit(() -> locks.withLock("g/b", () -> {
                    bothIn.countDown();
                    return bothIn.await(5, TimeUnit.SECONDS);
                }));
                assertThat(a.get()).isEqualTo(true);
                assertThat(b.get()).isEqualTo(true);
            } finally {
                pool.shutdownNow();
            }
        });
    }

    @Test
    void lock_waiters_getTheLockInArrivalOrder() {
        assertTimeoutPreemptively(LIMIT, () -> {
            List<Integer> order = new CopyOnWriteArrayList<>();
            GunLocks.Held first = locks.lock("g");
            List<Thread> threads = new java.util.ArrayList<>();
            for (int i = 0; i < 5; i++) {
                int n = i;
                Thread t = new Thread(() -> {
                    try (GunLocks.Held h = locks.lock("g")) {
                        order.add(n);
                        assertThat(h.gun()).isEqualTo("g");
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                t.start();
                // wait until this thread is queued before starting the next one
                while (!t.getState().equals(Thread.State.WAITING)) {
                    Thread.sleep(5);
                }
                threads.add(t);
            }
            first.close();
            for (Thread t : threads) {
                t.join();
            }
            assertThat(order).containsExactly(0, 1, 2, 3, 4);
            assertThat(locks.activeGuns()).isZero();
        });
    }

    @Test
    void withLock_bodyThrows_releasesLock() throws Exception {
        assertThatThrownBy(() -> locks.withLock("g", () -> {
                    throw new IllegalStateException("boom");
                }))
                .isInstanceOf(IllegalStateException.class);
        assertThat(locks.activeGuns()).isZero();
        assertThat(locks.tryLock("g", Duration.ZERO)).isPresent().get().satisfies(GunLocks.Held::close);
    }

    @Test
    void tryLock_busy_timesOutWithoutLeaking() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (GunLocks.Held h = locks.lock("g")) {
                assertThat(locks.isHeldByCurrentThread(h.gun())).isTrue();
                Thread other = new Thread(() -> {
                    try {
                        Optional<GunLocks.Held> got = locks.tryLock("g", Duration.ofMillis(50));
                        assertThat(got).isEmpty();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                other.start();
                other.join();
                assertThat(locks.activeGuns()).isEqualTo(1);
            }
            assertThat(locks.activeGuns()).isZero();
        });
    }

    @Test
    void lock_interruptedWhileWaiting_doesNotLeak() {
        assertTimeoutPreemptively(LIMIT, () -> {
            GunLocks.Held h = locks.lock("g");
            AtomicInteger interrupted = new AtomicInteger();
            Thread t = new Thread(() -> {
                try {
                    locks.lock("g");
                } catch (InterruptedException e) {
                    interrupted.incrementAndGet();
                }
            });
            t.start();
            while (t.getState() != Thread.State.WAITING) {
                Thread.sleep(5);
            }
            t.interrupt();
            t.join();
            assertThat(interrupted.get()).isEqualTo(1);
            h.close();
            h.close(); // idempotent
            assertThat(locks.activeGuns()).isZero();
        });
    }

    @Test
    void lock_reentrantOnSameThread_needsTwoCloses() throws Exception {
        GunLocks.Held outer = locks.lock("g");
        GunLocks.Held inner = locks.lock("g");
        assertThat(locks.isHeldByCurrentThread("g")).isTrue();
        inner.close();
        assertThat(locks.isHeldByCurrentThread("g")).isTrue();
        outer.close();
        assertThat(locks.isHeldByCurrentThread("g")).isFalse();
        assertThat(locks.activeGuns()).isZero();
    }
}
