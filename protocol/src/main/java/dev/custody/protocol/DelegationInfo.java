package dev.custody.protocol;

import java.util.List;

/** One delegation role ({@code delegation.list}); {@code paths} holds {@code ""} for all paths. */
public record DelegationInfo(String role, int threshold, List<String> keyIds, List<String> paths) {
    public DelegationInfo {
        keyIds = keyIds == null ? List.of() : List.copyOf(keyIds);
        paths = paths == null ? List.of() : List.copyOf(paths);
    }
}
