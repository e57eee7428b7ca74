package dev.custody.protocol;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The client could not reach custodyd's socket at all. The message says what to check (daemon not
 * running, wrong path, no permission to the socket's group).
 */
public final class DaemonUnavailableException extends IOException {
  private static final long serialVersionUID = 1L;
  private final transient Path socket;

  public DaemonUnavailableException(Path socket, String message, Throwable cause) {
    super(message, cause);
    this.socket = socket;
  }

  public Path socket() {
    return socket;
  }
}
