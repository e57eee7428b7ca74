package dev.custody.daemon.rpc;

/**
 * How the socket server treats a caller when it shares out connections and execution permits
 * ({@link ServerLimits}).
 */
public enum CallerTier {
    /** The daemon's own uid and the custodians: may use the connections kept in reserve. */
    RESERVED,
    /** A uid that some policy rule grants something: its fair share. */
    GRANTED,
    /** A uid that no policy rule grants anything: {@link ServerLimits.NoGrant} (it can only be denied). */
    NO_GRANT;

    /** Decides a caller's tier; must be cheap (runs at every accept) and must not block. */
    @FunctionalInterface
    public interface Classifier {
        CallerTier of(CallerIdentity caller);

        /** Everyone granted: for servers without a policy (tests of the transport). */
        Classifier ALL_GRANTED = c -> GRANTED;
    }
}
