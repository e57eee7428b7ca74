package dev.custody.protocol;

import java.util.List;

/** Result of {@code repo.list}. */
public record TargetList(String gun, List<TargetInfo> targets) {
    public TargetList {
        targets = targets == null ? List.of() : List.copyOf(targets);
    }
}
