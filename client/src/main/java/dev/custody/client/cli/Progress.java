package dev.custody.client.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A one-line activity indicator on stderr for a call that may take long (publishing thousands of
 * targets, waiting for a custodian's approval). Drawn only on a terminal and only after a second,
 * so quick calls and pipes stay quiet; erased when the call returns.
 */
final class Progress implements AutoCloseable {
    private static final Progress NONE = new Progress(null, null, null);
    private static final char[] SPINNER = {'|', '/', '-', '\\'};

    private final PrintWriter err;
    private final String what;
    private final ScheduledExecutorService timer;
    private final long started = System.nanoTime();
    private int frame;
    private volatile boolean drawn;

    private Progress(PrintWriter err, String what, ScheduledExecutorService timer) {
        this.err = err;
        this.what = what;
        this.timer = timer;
    }

    static Progress start(Terminal terminal, String what) {
        if (!terminal.interactive()) {
            return NONE;
        }
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "custody-progress");
            t.setDaemon(true);
            return t;
        });
        Progress p = new Progress(terminal.err(), what, timer);
        timer.scheduleAtFixedRate(p::draw, 1000, 250, TimeUnit.MILLISECONDS);
        return p;
    }

    private synchronized void draw() {
        long s = Duration.ofNanos(System.nanoTime() - started).toSeconds();
        err.print("\r" + SPINNER[frame++ % SPINNER.length] + " " + what + " (" + s + "s)\u001b[K");
        err.flush();
        drawn = true;
    }

    @Override
    public void close() {
        if (timer == null) {
            return;
        }
        timer.shutdownNow();
        synchronized (this) {
            if (drawn) {
                err.print("\r\u001b[K");
                err.flush();
            }
        }
    }
}
