package dev.custody.client.protocol;

/** Method names served by custodyd. Each one is documented in {@code daemon/README-protocol.md}. */
public final class Methods {
  /** Liveness check; params {@code {"echo": string?}}; result {@link PingResult}. */
  public static final String PING = "ping";
  /** Daemon status; no params; result {@link StatusResult}. */
  public static final String STATUS = "status";

  private Methods() {}
}
