package dev.custody.pkcs11.yubikey;

import dev.custody.pkcs11.CkrConverter;
import dev.custody.pkcs11.EcKeys;
import dev.custody.pkcs11.TokenErrorCode;
import dev.custody.pkcs11.TokenException;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;
import org.xipki.pkcs11.wrapper.Slot;

/**
 * Fresh ykcs11 sessions on one YubiKey, opened on the raw slot the {@link YubikeyProfile} keeps for its
 * serial, and the conversions every PIV call needs: a {@link PKCS11Exception} to a {@link TokenException}
 * naming the YubiKey, and a CKA_EC_POINT to a public key.
 */
final class RawSessions {
    private final YubikeyProfile profile;
    private final String serial;
    private final String name;

    RawSessions(YubikeyProfile profile, String serial) {
        this.profile = profile;
        this.serial = serial;
        this.name = "YubiKey " + serial;
    }

    /** The YubiKey's serial number. */
    String serial() {
        return serial;
    }

    /** "YubiKey N", as messages name it. */
    String name() {
        return name;
    }

    Session open() throws TokenException {
        Slot slot = profile.rawSlot(serial);
        try {
            return slot.getToken().openSession(true); // C_OpenSession(CKF_SERIAL_SESSION | CKF_RW_SESSION)
        } catch (PKCS11Exception e) {
            throw convert("C_OpenSession", e);
        }
    }

    static void closeQuietly(Session s) {
        try {
            s.closeSession(); // C_CloseSession
        } catch (PKCS11Exception | RuntimeException e) {
            // already gone
        }
    }

    TokenException convert(String function, PKCS11Exception e) {
        return CkrConverter.convert(function, name, e.getErrorCode(), e.getErrorName(), e);
    }

    PublicKey publicKey(byte[] point) throws TokenException {
        try {
            return EcKeys.p256FromEcPoint(point);
        } catch (GeneralSecurityException e) {
            throw new TokenException(
                    TokenErrorCode.TOKEN_ERROR,
                    name + " returned a public key that cannot be" + " decoded: " + e.getMessage(),
                    null,
                    null,
                    e);
        }
    }
}
