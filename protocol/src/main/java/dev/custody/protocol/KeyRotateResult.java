package dev.custody.protocol;

import java.util.List;

/** Result of {@code key.rotate}. */
public record KeyRotateResult(String gun, String role, List<String> oldKeyIds, String newKeyId, Integer rootVersion) {
    public KeyRotateResult {
        oldKeyIds = oldKeyIds == null ? List.of() : List.copyOf(oldKeyIds);
    }
}
