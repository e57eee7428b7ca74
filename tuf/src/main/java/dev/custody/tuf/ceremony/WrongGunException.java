package dev.custody.tuf.ceremony;

import dev.custody.tuf.ErrorCode;
import dev.custody.tuf.TufException;

/** The bundle is for another repository than the trusted metadata (or server state) it is checked against. */
public final class WrongGunException extends TufException {
    private final String expectedGun;
    private final String bundleGun;

    public WrongGunException(String expectedGun, String bundleGun) {
        super(ErrorCode.CEREMONY_WRONG_GUN, null, "ceremony bundle is for " + bundleGun + ", not for " + expectedGun);
        this.expectedGun = expectedGun;
        this.bundleGun = bundleGun;
    }

    public String expectedGun() {
        return expectedGun;
    }

    public String bundleGun() {
        return bundleGun;
    }
}
