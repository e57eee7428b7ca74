package dev.custody.protocol.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Result of {@code ceremony.prepare} with {@code operation: init}: as {@link CeremonyPrepared}, and the
 * online keys made for the new repository ({@code snapshotKeyId} is {@code null} when the server manages
 * the snapshot key).
 */
public record CeremonyInitPrepared(
        String gun,
        String operation,
        String bundle,
        List<String> summary,
        long baseRootVersion,
        long newRootVersion,
        String targetsKeyId,
        @JsonInclude(JsonInclude.Include.ALWAYS) String snapshotKeyId) {
    public CeremonyInitPrepared {
        summary = List.copyOf(summary);
    }

    /** {@code prepared} with the online keys of the new repository. */
    public static CeremonyInitPrepared of(CeremonyPrepared prepared, String targetsKeyId, String snapshotKeyId) {
        return new CeremonyInitPrepared(
                prepared.gun(),
                prepared.operation(),
                prepared.bundle(),
                prepared.summary(),
                prepared.baseRootVersion(),
                prepared.newRootVersion(),
                targetsKeyId,
                snapshotKeyId);
    }
}
