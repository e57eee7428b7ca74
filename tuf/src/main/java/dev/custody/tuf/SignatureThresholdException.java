package dev.custody.tuf;

import java.util.List;

/**
 * Fewer distinct role keys produced a valid signature than the role's threshold needs. When some
 * signatures by role keys were present but did not verify, {@link InvalidSignatureException} is thrown.
 */
public class SignatureThresholdException extends TufException {
    private final int needed;
    private final int found;
    private final List<String> missingKeyIds;

    public SignatureThresholdException(String role, int needed, int found, List<String> missingKeyIds) {
        this(
                ErrorCode.SIGNATURE_THRESHOLD,
                role,
                needed,
                found,
                missingKeyIds,
                prefix(role) + "valid signatures from " + found + " key(s), threshold is " + needed);
    }

    protected SignatureThresholdException(
            ErrorCode code, String role, int needed, int found, List<String> missingKeyIds, String message) {
        super(code, role, message);
        this.needed = needed;
        this.found = found;
        this.missingKeyIds = List.copyOf(missingKeyIds);
    }

    /** The threshold. */
    public int needed() {
        return needed;
    }

    /** Distinct role keys with a valid signature. */
    public int found() {
        return found;
    }

    /** Role key IDs without a valid signature. */
    public List<String> missingKeyIds() {
        return missingKeyIds;
    }
}
