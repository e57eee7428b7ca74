package dev.custody.tuf;

/** Metadata a step needs is absent: not served, not listed by the referring role, or not trusted yet. */
public final class MissingMetadataException extends TufException {
    public MissingMetadataException(String role, String detail) {
        super(ErrorCode.METADATA_MISSING, role, prefix(role) + detail);
    }
}
