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
    METADATA_MISSING(113);

    private final int number;

    ErrorCode(int number) {
        this.number = number;
    }

    public int number() {
        return number;
    }

    /** The DESIGN-level name this code belongs to: {@link #METADATA_INVALID} for every metadata failure. */
    public ErrorCode family() {
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
