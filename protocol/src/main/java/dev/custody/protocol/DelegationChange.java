package dev.custody.protocol;

import java.util.List;

/** Result of {@code delegation.add} and {@code delegation.remove}. */
public record DelegationChange(String gun, String role, List<String> keyIds, int staged) {
    public DelegationChange {
        keyIds = keyIds == null ? List.of() : List.copyOf(keyIds);
    }
}
