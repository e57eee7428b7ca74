package dev.custody.protocol.results;

import java.util.List;

/** Result of {@code pending.list}: the requests waiting, oldest first. */
public record PendingList(List<PendingEntry> pending) {
    public PendingList {
        pending = List.copyOf(pending);
    }
}
