package dev.custody.pkcs11;

import java.nio.file.Path;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.PKCS11Module;
import org.xipki.pkcs11.wrapper.Session;
import org.xipki.pkcs11.wrapper.Slot;

/**
 * Test-only direct PKCS#11 access, beside the code under test, to try what Custody never does:
 * read a private key's CKA_VALUE. Production code has no such path.
 */
final class RawPkcs11 {
    private RawPkcs11() {}

    /** C_GetAttributeValue(CKA_VALUE) on the private key with this CKA_ID; returns the CKR, or 0 if it succeeded. */
    static long readPrivateValue(Path module, String tokenLabel, char[] pin, byte[] keyId) throws Exception {
        PKCS11Module m = PKCS11Module.getInstance(module.toString());
        try {
            m.initialize();
        } catch (PKCS11Exception e) {
            if (e.getErrorCode() != PKCS11Constants.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
                throw e;
            }
        }
        for (Slot slot : m.getSlotList(true)) {
            if (!slot.getToken().getTokenInfo().getLabel().strip().equals(tokenLabel)) {
                continue;
            }
            Session s = slot.getToken().openSession(false);
            try {
                try {
                    s.login(PKCS11Constants.CKU_USER, pin);
                } catch (PKCS11Exception e) {
                    if (e.getErrorCode() != PKCS11Constants.CKR_USER_ALREADY_LOGGED_IN) {
                        throw e;
                    }
                }
                long[] h = s.findObjectsSingle(AttributeVector.newPrivateKey().id(keyId), 1);
                if (h.length == 0) {
                    throw new AssertionError("no private key with that id");
                }
                try {
                    AttributeVector a = s.getAttrValues(h[0], PKCS11Constants.CKA_VALUE);
                    byte[] v = a.value();
                    return v == null ? PKCS11Constants.CKR_ATTRIBUTE_SENSITIVE : 0;
                } catch (PKCS11Exception e) {
                    return e.getErrorCode();
                }
            } finally {
                s.closeSession();
            }
        }
        throw new AssertionError("token " + tokenLabel + " not present");
    }
}
