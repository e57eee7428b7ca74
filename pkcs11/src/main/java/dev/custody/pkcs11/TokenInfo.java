package dev.custody.pkcs11;

/**
 * What a slot's token says about itself (C_GetSlotInfo + C_GetTokenInfo), trimmed of PKCS#11 padding.
 * {@code slotId} is informational only: tokens are selected by label, serial or URI, never by slot.
 */
public record TokenInfo(
        long slotId,
        String label,
        String serial,
        String manufacturer,
        String model,
        boolean present,
        boolean loginRequired,
        boolean userPinInitialized,
        boolean userPinCountLow,
        boolean userPinFinalTry,
        boolean userPinLocked) {

    /** A short human name: {@code label (serial)}. */
    public String displayName() {
        return label + " (serial " + serial + ")";
    }
}
