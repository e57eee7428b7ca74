package dev.custody.daemon.rpc;

import dev.custody.protocol.Protocol;
import java.time.Duration;
import java.util.Objects;

/**
 * Resource limits of the socket server.
 *
 * @param maxRequestBytes longest request line; a longer one gets REQUEST_TOO_LARGE and the
 *     connection is closed
 * @param maxConnections open connections at once; one more gets BUSY and is closed. The last
 *     {@link #reservedConnections()} of them are kept for the daemon's uid and the custodians
 * @param maxInFlightPerCaller requests of one uid executing at once, over all its connections; more
 *     wait in that uid's queue (see {@link #maxQueuedPerCaller})
 * @param workerThreads methods executing at once, each on its connection's thread; when one ends, the
 *     next uid with a waiting request gets the permit (round robin over uids, first come first served
 *     within a uid)
 * @param idleTimeout a connection with no request for this long is closed
 * @param requestReadTimeout a request line must arrive completely within this time of its first
 *     byte, else REQUEST_TIMEOUT and the connection is closed (slow clients)
 * @param shutdownGrace how long a stop waits for methods in flight before interrupting them
 * @param maxQueuedPerCaller requests of one uid waiting for a permit; one more gets BUSY
 * @param maxConnectionsPerCaller open connections of one uid that some policy rule grants something
 * @param noGrant what a uid that no policy rule grants anything gets: connections, requests executing
 *     and waiting, and how long its idle connections stay open
 */
public record ServerLimits(
        int maxRequestBytes,
        int maxConnections,
        int maxInFlightPerCaller,
        int workerThreads,
        Duration idleTimeout,
        Duration requestReadTimeout,
        Duration shutdownGrace,
        int maxQueuedPerCaller,
        int maxConnectionsPerCaller,
        NoGrant noGrant) {

    /**
     * Limits for a caller that no policy rule grants anything (it can only be denied): a few
     * connections, one request at a time, and idle connections closed after {@code idleTimeout}.
     */
    public record NoGrant(int maxConnections, int maxInFlight, int maxQueued, Duration idleTimeout) {
        public static final NoGrant DEFAULTS = new NoGrant(2, 1, 1, Duration.ofSeconds(5));

        public NoGrant {
            positive(maxConnections, "noGrant.maxConnections");
            positive(maxInFlight, "noGrant.maxInFlight");
            if (maxQueued < 0) {
                throw new IllegalArgumentException("noGrant.maxQueued must not be negative");
            }
            positive(idleTimeout, "noGrant.idleTimeout");
        }
    }

    public static final ServerLimits DEFAULTS = new ServerLimits(
            Protocol.DEFAULT_MAX_REQUEST_BYTES,
            512,
            8,
            16,
            Duration.ofMinutes(5),
            Duration.ofSeconds(30),
            Duration.ofSeconds(30),
            256,
            256,
            NoGrant.DEFAULTS);

    public ServerLimits {
        positive(maxRequestBytes, "maxRequestBytes");
        positive(maxConnections, "maxConnections");
        positive(maxInFlightPerCaller, "maxInFlightPerCaller");
        positive(workerThreads, "workerThreads");
        positive(idleTimeout, "idleTimeout");
        positive(requestReadTimeout, "requestReadTimeout");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        if (shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdownGrace must not be negative");
        }
        if (maxQueuedPerCaller < 0) {
            throw new IllegalArgumentException("maxQueuedPerCaller must not be negative");
        }
        positive(maxConnectionsPerCaller, "maxConnectionsPerCaller");
        Objects.requireNonNull(noGrant, "noGrant");
    }

    /** The limits of before per-caller queues: {@code maxQueuedPerCaller} 256, the other new limits at their defaults. */
    public ServerLimits(
            int maxRequestBytes,
            int maxConnections,
            int maxInFlightPerCaller,
            int workerThreads,
            Duration idleTimeout,
            Duration requestReadTimeout,
            Duration shutdownGrace) {
        this(
                maxRequestBytes,
                maxConnections,
                maxInFlightPerCaller,
                workerThreads,
                idleTimeout,
                requestReadTimeout,
                shutdownGrace,
                DEFAULTS_QUEUED,
                Math.min(maxConnections, DEFAULTS_PER_CALLER),
                NoGrant.DEFAULTS);
    }

    private static final int DEFAULTS_QUEUED = 256;
    private static final int DEFAULTS_PER_CALLER = 256;

    /** Connections kept for the daemon's uid and the custodians: a quarter of maxConnections, at most 32. */
    public int reservedConnections() {
        return Math.min(32, maxConnections / 4);
    }

    /** The same limits with {@code maxQueuedPerCaller} set. */
    public ServerLimits withMaxQueuedPerCaller(int queued) {
        return withPerCaller(queued, maxConnectionsPerCaller, noGrant);
    }

    /** The same limits with {@code noGrant} set. */
    public ServerLimits withNoGrant(NoGrant n) {
        return withPerCaller(maxQueuedPerCaller, maxConnectionsPerCaller, n);
    }

    /** The same server-wide limits with these per-caller ones. */
    private ServerLimits withPerCaller(int queued, int connectionsPerCaller, NoGrant n) {
        return new ServerLimits(
                maxRequestBytes,
                maxConnections,
                maxInFlightPerCaller,
                workerThreads,
                idleTimeout,
                requestReadTimeout,
                shutdownGrace,
                queued,
                connectionsPerCaller,
                n);
    }

    private static void positive(int v, String name) {
        if (v < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, got " + v);
        }
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero() || d.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " must be between 1 ms and 24 days, got " + d);
        }
    }
}
