package dev.custody.protocol;

import java.util.Map;

/**
 * Result of {@code repo.publish}: the version now on the server of each role published, and how many
 * attempts it took ({@code attempts} &gt; 1: another writer published first and custodyd rebuilt the
 * publish on the server's new state; absent from older daemons, read as 1).
 */
public record PublishResult(String gun, Map<String, Integer> roles, int targets, Integer attempts) {
    public PublishResult {
        roles = roles == null ? Map.of() : Map.copyOf(roles);
    }

    public PublishResult(String gun, Map<String, Integer> roles, int targets) {
        this(gun, roles, targets, null);
    }
}
