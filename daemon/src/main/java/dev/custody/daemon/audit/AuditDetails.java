package dev.custody.daemon.audit;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Details a method handler adds to the audit line of the call it runs in, whether the call then
 * succeeds or fails (e.g. {@code sign.batch}'s item count and digest). The dispatch hook clears them
 * before the handler runs and takes them when it writes the line; handler and hook run on the same
 * thread. Keep them small, and never put a PIN or key material here.
 */
public final class AuditDetails {
    private static final ThreadLocal<ObjectNode> CURRENT = new ThreadLocal<>();

    private AuditDetails() {}

    /** The details of the current call, created on first use; put members into it. */
    public static ObjectNode current() {
        ObjectNode n = CURRENT.get();
        if (n == null) {
            n = JsonNodeFactory.instance.objectNode();
            CURRENT.set(n);
        }
        return n;
    }

    /** Forgets any details left on this thread (before a call). */
    public static void clear() {
        CURRENT.remove();
    }

    /** The details of the current call, or null if none; forgets them. */
    public static ObjectNode take() {
        ObjectNode n = CURRENT.get();
        CURRENT.remove();
        return n;
    }
}
