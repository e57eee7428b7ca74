package dev.custody.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A token as custodyd sees it ({@code TokenStatus} of the method catalog).
 *
 * @param name the configured token name
 * @param unlockedUntil RFC 3339, present while the PIN is cached
 * @param pinSource where the PIN comes from, as configured ({@code prompt}, {@code file:/path} …), never a PIN
 * @param keys how many keys of the daemon's inventory are on it
 * @param profile {@code yubikey} for a YubiKey through ykcs11, null for a plain PKCS#11 token
 * @param managementKey a YubiKey's management key source as configured ({@code default}, {@code file:/path} …), never the key
 * @param warnings what needs the owner's attention, e.g. the well-known default management key
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TokenStatus(
        String name,
        String label,
        String serial,
        String manufacturer,
        String model,
        boolean present,
        boolean unlocked,
        String unlockedUntil,
        String pinSource,
        boolean pinCountLow,
        boolean pinFinalTry,
        boolean pinLocked,
        int keys,
        String profile,
        String managementKey,
        java.util.List<String> warnings) {

    /** Where the token is, as {@code key list} prints it: {@code label (serial S)}. */
    public String location() {
        String l = label != null && !label.isBlank() ? label : name;
        return serial == null || serial.isBlank() ? String.valueOf(l) : l + " (serial " + serial + ")";
    }
}
