package dev.custody.tuf;

/** A response longer than the limit for its role; nothing of it was parsed. */
public final class OversizedMetadataException extends TufException {
    private final long limit;

    public OversizedMetadataException(String role, long limit) {
        super(
                ErrorCode.METADATA_TOO_LARGE,
                role,
                prefix(role) + "metadata larger than the limit of " + limit + " bytes");
        this.limit = limit;
    }

    public long limit() {
        return limit;
    }
}
