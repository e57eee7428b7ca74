package dev.custody.tuf.ceremony;

import dev.custody.tuf.ErrorCode;
import dev.custody.tuf.TufException;

/** The file is not a ceremony bundle this version reads: not JSON, a field missing or of the wrong kind, an unknown format version. */
public final class MalformedBundleException extends TufException {
    private final String field;

    public MalformedBundleException(String field, String message) {
        this(field, message, null);
    }

    public MalformedBundleException(String field, String message, Throwable cause) {
        super(ErrorCode.CEREMONY_BUNDLE_MALFORMED, null, "ceremony bundle: " + field + ": " + message, cause);
        this.field = field;
    }

    /** The bundle field at fault ({@code new.root.signed}, {@code format_version}, …). */
    public String field() {
        return field;
    }
}
