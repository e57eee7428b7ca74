package dev.custody.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * An operation waiting for a custodian ({@code Pending} of the method catalog). {@code summary} says
 * in words what the signature changes. For a token-holder approval, {@code token} (and {@code tokenSerial})
 * name the token whose signature waits, {@code holders} who may decide it, {@code keyIds} the keys it signs
 * with; these are null for an approval of the whole operation by any custodian.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PendingApproval(
        String id,
        String method,
        String gun,
        String role,
        Caller requestedBy,
        String createdAt,
        String expiresAt,
        String summary,
        String token,
        String tokenSerial,
        String holders,
        List<String> keyIds) {

    /** An approval of the whole operation (no token). */
    public PendingApproval(
            String id,
            String method,
            String gun,
            String role,
            Caller requestedBy,
            String createdAt,
            String expiresAt,
            String summary) {
        this(id, method, gun, role, requestedBy, createdAt, expiresAt, summary, null, null, null, null);
    }

    /** Who asked: kernel-reported uid and pid. */
    public record Caller(long uid, long pid) {}
}
