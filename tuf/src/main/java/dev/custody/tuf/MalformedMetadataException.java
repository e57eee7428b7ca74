package dev.custody.tuf;

/** Metadata that is not JSON, not canonical-encodable, or lacks a field Notary always writes. */
public final class MalformedMetadataException extends TufException {
    private final String detail;

    public MalformedMetadataException(String role, String detail) {
        this(role, detail, null);
    }

    public MalformedMetadataException(String role, String detail, Throwable cause) {
        super(ErrorCode.METADATA_MALFORMED, role, prefix(role) + "malformed metadata: " + detail, cause);
        this.detail = detail;
    }

    public String detail() {
        return detail;
    }
}
