package dev.custody.tuf;

/**
 * The bytes of a role do not match what the referring role (timestamp → snapshot, snapshot → targets)
 * says: {@link #what()} is {@code sha256}, {@code sha512} or {@code length}.
 */
public final class HashMismatchException extends TufException {
    private final String what;
    private final String expected;
    private final String found;

    public HashMismatchException(String role, String what, String expected, String found) {
        super(
                ErrorCode.METADATA_HASH_MISMATCH,
                role,
                prefix(role) + what + " mismatch: expected " + expected + ", found " + found);
        this.what = what;
        this.expected = expected;
        this.found = found;
    }

    public String what() {
        return what;
    }

    public String expected() {
        return expected;
    }

    public String found() {
        return found;
    }
}
