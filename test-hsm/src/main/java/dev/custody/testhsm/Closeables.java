package dev.custody.testhsm;

/** Stopping what a test started (daemon, servers, emulator), for {@code @AfterAll}. */
public final class Closeables {
    private Closeables() {}

    /**
     * Closes each in order, skipping nulls (what a failed start never made). Every one is closed even if an
     * earlier one throws; the first exception is rethrown with the later ones suppressed.
     */
    public static void closeAll(AutoCloseable... resources) throws Exception {
        Exception first = null;
        for (AutoCloseable r : resources) {
            if (r == null) {
                continue;
            }
            try {
                r.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
