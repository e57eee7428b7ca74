package dev.custody.protocol.results;

import java.util.List;

/**
 * Result of {@code ceremony.prepare} for a rotation: the bundle to carry offline (base64), what it
 * changes, and the root versions it goes from and to.
 */
public record CeremonyPrepared(
        String gun, String operation, String bundle, List<String> summary, long baseRootVersion, long newRootVersion) {
    public CeremonyPrepared {
        summary = List.copyOf(summary);
    }
}
