package dev.custody.protocol.results;

import java.util.List;

/**
 * Result of {@code key.rotate}: the role's keys before, the new one ({@code newKeyId}, also as
 * {@code keyId}) and the root version published (0 when root was not re-signed).
 */
public record Rotated(String gun, String role, List<String> oldKeyIds, String newKeyId, int rootVersion, String keyId) {
    public Rotated {
        oldKeyIds = List.copyOf(oldKeyIds);
    }
}
