package dev.custody.tuf;

/**
 * Stable error codes of the TUF layer. Names follow DESIGN.md; each has a fixed number that never
 * changes once released. Codes from {@code 100} up are refinements of {@link #METADATA_INVALID}: the
 * RPC layer may report {@link #family()} to callers that only know the DESIGN names and keep the
 * precise name in the error data.
 */
public enum ErrorCode {
    BAD_REQUEST(1),
    NOT_FOUND(2),
    CONFLICT(3),
    SERVER_UNREACHABLE(4),
    SIGNING_FAILED(5),

    METADATA_INVALID(100),
    METADATA_MALFORMED(101),
    METADATA_TOO_LARGE(102),
    METADATA_WRONG_TYPE(103),
    SIGNATURE_THRESHOLD(104),
    SIGNATURE_INVALID(105),
    METADATA_EXPIRED(106),
    METADATA_ROLLBACK(107),
    METADATA_HASH_MISMATCH(108),
    DELEGATION_PATH_VIOLATION(109),
    ROOT_ROTATION_INVALID(110),
    KEY_TYPE_UNSUPPORTED(111),
    TRUST_PIN_MISMATCH(112),
    METADATA_MISSING(113),

    /** A ceremony bundle that is not a bundle (JSON shape, format version). */
    CEREMONY_BUNDLE_MALFORMED(120),
    /** A ceremony bundle whose contents do not agree with themselves (hashes, plan, summary, signatures). */
    CEREMONY_BUNDLE_TAMPERED(121),
    /** A ceremony bundle for another repository. */
    CEREMONY_WRONG_GUN(122),
    /** A ceremony bundle built on metadata older than the signer's trusted copy. */
    CEREMONY_STALE_BASE(123),
    /** A ceremony bundle built on metadata the signer's trusted copy does not lead to. */
    CEREMONY_BASE_MISMATCH(124),
    /** The server's metadata changed since the ceremony bundle was prepared; family {@link #CONFLICT}. */
    CEREMONY_SERVER_MOVED(125);

    private final int number;

    ErrorCode(int number) {
        this.number = number;
    }

    public int number() {
        return number;
    }

    /**
     * The DESIGN-level name this code belongs to: {@link #METADATA_INVALID} for every metadata failure
     * (ceremony bundle failures included), {@link #CONFLICT} for {@link #CEREMONY_SERVER_MOVED}.
     */
    public ErrorCode family() {
        if (this == CEREMONY_SERVER_MOVED) {
            return CONFLICT;
        }
        return number >= 100 ? METADATA_INVALID : this;
    }

    public static ErrorCode byNumber(int number) {
        for (ErrorCode c : values()) {
            if (c.number == number) {
                return c;
            }
        }
        throw new IllegalArgumentException("no error code " + number);
    }
}
