package dev.custody.daemon.rpc;

import dev.custody.protocol.InternalErrorException;
import java.lang.System.Logger.Level;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The one way custodyd answers INTERNAL: each gets a fresh incident id, and the log gets that id with
 * what happened (and the stack trace, when there is one), so the id a caller reports finds the cause.
 */
public final class Incidents {
    private static final System.Logger LOG = System.getLogger(Incidents.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();

    private Incidents() {}

    /** A new incident id: 8 hex digits. */
    public static String newId() {
        byte[] b = new byte[4];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /**
     * Logs {@code message} (with {@code cause}, may be null) under a new incident id and returns the
     * INTERNAL error for the caller: {@code message (incident ID)}.
     */
    public static InternalErrorException internal(String message, Throwable cause) {
        String incident = newId();
        LOG.log(Level.ERROR, "incident " + incident + ": " + message, cause);
        return new InternalErrorException(message + " (incident " + incident + ")", incident);
    }

    /**
     * As {@link #internal(String, Throwable)}, but the caller is told only {@code told} (the log gets
     * {@code logged}): for failures whose details belong in the log, not on the socket.
     */
    public static InternalErrorException internal(String told, String logged, Throwable cause) {
        String incident = newId();
        LOG.log(Level.ERROR, "incident " + incident + ": " + logged, cause);
        return new InternalErrorException(told + " (incident " + incident + "): see custodyd's log", incident);
    }
}
