package dev.custody.protocol.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Result of {@code repo.adopt}: the root version trusted ({@code rootVersion}, also as {@code version}),
 * for each base role and each delegation the keys it lists and those of them on this daemon's tokens,
 * the root key that vouched for the root ({@code keyId}, absent when none is held here) and notes on
 * what this daemon cannot sign.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Adopted(
        String gun,
        String server,
        int rootVersion,
        int version,
        Map<String, RoleKeys> roles,
        String keyId,
        Map<String, RoleKeys> delegations,
        List<String> notes) {
    public Adopted {
        roles = Collections.unmodifiableMap(new LinkedHashMap<>(roles));
        delegations = Collections.unmodifiableMap(new LinkedHashMap<>(delegations));
        notes = List.copyOf(notes);
    }

    /**
     * The keys a role lists (as the metadata names them) and those on tokens (bare key IDs); {@code location}
     * for a base role: {@code tokens}, {@code server} or {@code elsewhere}, absent when not known.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RoleKeys(List<String> keyIds, List<String> onTokens, String location) {
        public RoleKeys {
            keyIds = List.copyOf(keyIds);
            onTokens = List.copyOf(onTokens);
        }

        /** These keys, at {@code where}. */
        public RoleKeys at(String where) {
            return new RoleKeys(keyIds, onTokens, where);
        }
    }
}
