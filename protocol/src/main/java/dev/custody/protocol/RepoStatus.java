package dev.custody.protocol;

import java.util.List;

/** Result of {@code repo.status}: the staged, unpublished changes. */
public record RepoStatus(String gun, List<Change> changes) {
    public RepoStatus {
        changes = changes == null ? List.of() : List.copyOf(changes);
    }
}
