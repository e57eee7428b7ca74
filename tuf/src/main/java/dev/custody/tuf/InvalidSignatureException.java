package dev.custody.tuf;

import java.util.List;

/** Below threshold because signatures by role keys did not verify (the bytes or the signature were altered). */
public final class InvalidSignatureException extends SignatureThresholdException {
    private final List<String> invalidKeyIds;

    public InvalidSignatureException(
            String role, int needed, int found, List<String> missingKeyIds, List<String> invalidKeyIds) {
        super(
                ErrorCode.SIGNATURE_INVALID,
                role,
                needed,
                found,
                missingKeyIds,
                prefix(role) + "signature(s) by " + invalidKeyIds + " do not verify; valid from " + found
                        + " key(s), threshold is " + needed);
        this.invalidKeyIds = List.copyOf(invalidKeyIds);
    }

    /** Role key IDs whose signature is present but does not verify. */
    public List<String> invalidKeyIds() {
        return invalidKeyIds;
    }
}
