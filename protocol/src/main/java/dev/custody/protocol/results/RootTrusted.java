package dev.custody.protocol.results;

import java.util.List;

/** Result of {@code ceremony.trust}: the root now trusted for {@code gun}. */
public record RootTrusted(String gun, int rootVersion, List<String> rootKeyIds, int rootThreshold, String expires) {
    public RootTrusted {
        rootKeyIds = List.copyOf(rootKeyIds);
    }
}
