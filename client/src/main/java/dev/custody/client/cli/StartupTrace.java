package dev.custody.client.cli;

/**
 * {@code CUSTODY_STARTUP_TRACE=1}: where a command's start-up time goes, one line per mark on stderr
 * (milliseconds since the first mark, in {@code main}, and since the previous mark). For start-up work
 * ({@code client/README.md} "Start-up"); off, a mark costs one field read.
 */
final class StartupTrace {
    private static final boolean ON = System.getenv("CUSTODY_STARTUP_TRACE") != null;
    private static long startNanos;
    private static long lastNanos;

    private StartupTrace() {}

    static void mark(String what) {
        if (!ON) {
            return;
        }
        long now = System.nanoTime();
        if (startNanos == 0) {
            startNanos = now;
            lastNanos = now;
        }
        System.err.println("custody-trace: " + (now - startNanos) / 100_000 / 10.0 + " ms (+"
                + (now - lastNanos) / 100_000 / 10.0 + ") " + what);
        lastNanos = now;
    }
}
