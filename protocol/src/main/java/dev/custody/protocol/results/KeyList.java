package dev.custody.protocol.results;

import java.util.List;

/** Result of {@code key.list}. */
public record KeyList(List<KeyEntry> keys) {
    public KeyList {
        keys = List.copyOf(keys);
    }
}
