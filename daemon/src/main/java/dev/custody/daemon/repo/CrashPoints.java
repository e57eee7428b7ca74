package dev.custody.daemon.repo;

import java.lang.System.Logger.Level;
import java.util.Map;

/**
 * A debug hook for crash tests: with {@code CUSTODY_DEBUG=1} and
 * {@code CUSTODY_DEBUG_CRASH_AT=<operation>:<step>} (for example {@code publish:posting}), the daemon
 * halts ({@link Runtime#halt}, as {@code kill -9} would stop it: no shutdown hooks, no flushing) right
 * after that step. Without both variables it does nothing.
 *
 * <p>Steps, in order: {@code planned}, ({@code key-created} for rotations), {@code signed},
 * {@code posting}, {@code after-post} (the server answered, not yet journaled), {@code posted},
 * {@code committed}.
 */
final class CrashPoints {
    private static final System.Logger LOG = System.getLogger(CrashPoints.class.getName());
    private final String at;

    CrashPoints(Map<String, String> env) {
        String v = env.get("CUSTODY_DEBUG_CRASH_AT");
        this.at = "1".equals(env.get("CUSTODY_DEBUG")) && v != null && !v.isBlank() ? v.trim() : null;
        if (at != null) {
            LOG.log(Level.WARNING, "debug crash hook armed: custodyd halts at " + at);
        }
    }

    void reached(String opType, String step) {
        if (at != null && at.equals(opType + ":" + step)) {
            LOG.log(Level.WARNING, "debug crash hook: halting at " + at);
            Runtime.getRuntime().halt(137);
        }
    }
}
