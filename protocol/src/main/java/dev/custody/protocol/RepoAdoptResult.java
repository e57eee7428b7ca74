package dev.custody.protocol;

import java.util.List;
import java.util.Map;

/**
 * What {@code repo.adopt} trusted: the root version, the root key that vouched for it ({@code keyId}),
 * and for each role (and delegation) the key IDs it lists and those of them on custodyd's tokens.
 */
public record RepoAdoptResult(
        String gun,
        String server,
        int rootVersion,
        String keyId,
        Map<String, RoleKeys> roles,
        Map<String, RoleKeys> delegations,
        List<String> notes) {
    public RepoAdoptResult {
        roles = roles == null ? Map.of() : roles;
        delegations = delegations == null ? Map.of() : delegations;
        notes = notes == null ? List.of() : List.copyOf(notes);
    }

    /**
     * The keys a role lists ({@code keyIds}, as the metadata names them) and those on tokens (bare key IDs);
     * {@code location} for a base role: {@code tokens} (this daemon holds one), {@code server} (the snapshot
     * key the Notary server holds and signs with) or {@code elsewhere}; null for delegations and older daemons.
     */
    public record RoleKeys(List<String> keyIds, List<String> onTokens, String location) {
        public RoleKeys {
            keyIds = keyIds == null ? List.of() : List.copyOf(keyIds);
            onTokens = onTokens == null ? List.of() : List.copyOf(onTokens);
        }

        public RoleKeys(List<String> keyIds, List<String> onTokens) {
            this(keyIds, onTokens, null);
        }
    }
}
