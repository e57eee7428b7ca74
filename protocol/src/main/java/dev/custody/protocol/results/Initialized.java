package dev.custody.protocol.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Result of {@code repo.init}: the keys made or named for the new repository ({@code snapshotKeyId} is
 * {@code null} when the server manages the snapshot key) and whether it was published at once.
 */
public record Initialized(
        String gun,
        List<String> rootKeyIds,
        String targetsKeyId,
        @JsonInclude(JsonInclude.Include.ALWAYS) String snapshotKeyId,
        boolean published) {
    public Initialized {
        rootKeyIds = List.copyOf(rootKeyIds);
    }
}
