package dev.custody.daemon.rpc;

import dev.custody.protocol.Protocol;
import java.time.Duration;
import java.util.Objects;

/**
 * Resource limits of the socket server.
 *
 * @param maxRequestBytes longest request line; a longer one gets REQUEST_TOO_LARGE and the
 *     connection is closed
 * @param maxConnections open connections at once; one more gets BUSY and is closed
 * @param maxInFlightPerCaller requests of one uid executing at once, over all its connections;
 *     one more gets BUSY
 * @param workerThreads methods executing at once, each on its connection's thread (the rest wait, first
 *     come first served)
 * @param idleTimeout a connection with no request for this long is closed
 * @param requestReadTimeout a request line must arrive completely within this time of its first
 *     byte, else REQUEST_TIMEOUT and the connection is closed (slow clients)
 * @param shutdownGrace how long a stop waits for methods in flight before interrupting them
 */
public record ServerLimits(
    int maxRequestBytes,
    int maxConnections,
    int maxInFlightPerCaller,
    int workerThreads,
    Duration idleTimeout,
    Duration requestReadTimeout,
    Duration shutdownGrace) {

  public static final ServerLimits DEFAULTS = new ServerLimits(Protocol.DEFAULT_MAX_REQUEST_BYTES, 64, 4, 8,
      Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofSeconds(30));

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
