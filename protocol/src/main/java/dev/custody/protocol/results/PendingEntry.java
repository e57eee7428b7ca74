package dev.custody.protocol.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A request waiting for approval ({@code pending.list}, {@code pending.show}): {@code gun} and {@code role}
 * are sent even when null; {@code token}, {@code holders} and {@code keyIds} only for a token holders'
 * entry ({@code tokenSerial} only when the token's serial is known).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PendingEntry(
        String id,
        String method,
        @JsonInclude(JsonInclude.Include.ALWAYS) String gun,
        @JsonInclude(JsonInclude.Include.ALWAYS) String role,
        RequestedBy requestedBy,
        String createdAt,
        String expiresAt,
        String summary,
        String token,
        String tokenSerial,
        String holders,
        List<String> keyIds) {

    /** Who asked: uid and pid of the requesting process. */
    public record RequestedBy(long uid, long pid) {}
}
