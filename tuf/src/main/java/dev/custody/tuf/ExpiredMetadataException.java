package dev.custody.tuf;

import java.time.Instant;

/** The metadata's {@code expires} is not after the current time. */
public final class ExpiredMetadataException extends TufException {
    private final Instant expires;
    private final Instant now;

    public ExpiredMetadataException(String role, Instant expires, Instant now) {
        super(ErrorCode.METADATA_EXPIRED, role, prefix(role) + "expired at " + expires + " (now " + now + ")");
        this.expires = expires;
        this.now = now;
    }

    public Instant expires() {
        return expires;
    }

    public Instant now() {
        return now;
    }
}
