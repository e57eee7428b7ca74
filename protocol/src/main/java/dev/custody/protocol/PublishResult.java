package dev.custody.protocol;

import java.util.Map;

/** Result of {@code repo.publish}: the version now on the server of each role published. */
public record PublishResult(String gun, Map<String, Integer> roles, int targets) {
  public PublishResult {
    roles = roles == null ? Map.of() : Map.copyOf(roles);
  }
}
