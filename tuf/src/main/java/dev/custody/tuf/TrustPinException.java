package dev.custody.tuf;

/** A first root does not match the pinned certificate, CA or key ID for its GUN (or TOFU is off). */
public final class TrustPinException extends TufException {
    private final String gun;

    public TrustPinException(String gun, String reason) {
        super(ErrorCode.TRUST_PIN_MISMATCH, "root", "root of " + gun + ": " + reason);
        this.gun = gun;
    }

    public String gun() {
        return gun;
    }
}
