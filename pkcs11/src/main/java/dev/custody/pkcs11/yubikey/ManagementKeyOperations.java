package dev.custody.pkcs11.yubikey;

import dev.custody.pkcs11.CkrConverter;
import dev.custody.pkcs11.EcKeys;
import dev.custody.pkcs11.HsmToken;
import dev.custody.pkcs11.PinRequiredException;
import dev.custody.pkcs11.TokenErrorCode;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenInfo;
import dev.custody.pkcs11.TokenKey;
import java.lang.System.Logger.Level;
import java.security.interfaces.ECPrivateKey;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.KeyPairTemplate;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.PKCS11KeyPair;
import org.xipki.pkcs11.wrapper.Session;

/**
 * What a YubiKey does only with its PIV management key, through ykcs11's security-officer login: generate a
 * key pair in a slot, and import a private key with its placeholder certificate. Each runs with the user
 * logged out (ykcs11 refuses the SO login while the user is logged in) and signatures held off (the write
 * side of the token's lock), and logs the user in again afterwards if they were.
 */
final class ManagementKeyOperations {
    private static final System.Logger LOG = System.getLogger(YubikeyToken.class.getName());

    private final HsmToken token;
    private final ManagementKeySource managementKey;
    private final RawSessions sessions;
    private final PivKeys keys;
    private final ReentrantReadWriteLock lock;

    ManagementKeyOperations(
            HsmToken token,
            ManagementKeySource managementKey,
            RawSessions sessions,
            PivKeys keys,
            ReentrantReadWriteLock lock) {
        this.token = token;
        this.managementKey = managementKey;
        this.sessions = sessions;
        this.keys = keys;
        this.lock = lock;
    }

    /** C_Login(CKU_SO) → C_GenerateKeyPair (P-256, CKA_ID = slot) → C_Logout. */
    TokenKey generate(PivSlot slot) throws TokenException {
        return asSecurityOfficer("generating a key", key -> generateAsSecurityOfficer(slot, key));
    }

    /** C_Login(CKU_SO) → C_CreateObject (private key, then certificate) → C_Logout. */
    TokenKey importKey(PivSlot slot, ECPrivateKey privateKey, byte[] certificate) throws TokenException {
        return asSecurityOfficer("importing a key", key -> importAsSecurityOfficer(slot, privateKey, certificate, key));
    }

    @FunctionalInterface
    private interface SoCall<T> {
        T call(char[] managementKey) throws TokenException;
    }

    /**
     * Runs {@code call} with the management key from the {@link ManagementKeySource}, the user logged out
     * and signatures held off; logs the user in again afterwards if they were. The factory default key
     * works but is logged as a WARNING.
     */
    private <T> T asSecurityOfficer(String what, SoCall<T> call) throws TokenException {
        TokenInfo info = token.info();
        char[] key = managementKey
                .managementKey(info)
                .orElseThrow(() -> new PinRequiredException(
                        sessions.name(),
                        what + " needs the YubiKey's PIV management key (48 hex digits) from a management key"
                                + " source (a credentials file); none is configured"));
        boolean wasLoggedIn = token.isLoggedIn();
        lock.writeLock().lock();
        try {
            checkKey(key);
            if (wasLoggedIn) {
                token.logout(); // ykcs11 refuses the SO login while the user is logged in (per slot)
            }
            return call.call(key);
        } finally {
            Arrays.fill(key, '\0');
            try {
                if (wasLoggedIn) {
                    token.login();
                }
            } finally {
                lock.writeLock().unlock();
            }
        }
    }

    /** Refuses a malformed key; warns about the factory default one. */
    private void checkKey(char[] key) throws TokenException {
        if (!ManagementKeySource.isWellFormed(key)) {
            throw new TokenException(
                    TokenErrorCode.BAD_INPUT,
                    "the management key for " + sessions.name() + " must be 48 hex digits (a 24-byte 3DES key)");
        }
        if (ManagementKeySource.isDefault(key)) {
            LOG.log(
                    Level.WARNING,
                    "YubiKey {0} is used with the well-known DEFAULT PIV management key"
                            + " (010203...08): anyone holding this YubiKey can overwrite its keys. Set a new management"
                            + " key (ykman piv access change-management-key) and give it to Custody through a"
                            + " credentials file.",
                    sessions.serial());
        }
    }

    /** C_Login(CKU_SO) on a fresh session: 3DES mutual authentication with the management key. */
    private void loginSo(Session s, char[] key, String what) throws TokenException {
        try {
            s.login(PKCS11Constants.CKU_SO, key); // C_Login(CKU_SO): 3DES mutual authentication
        } catch (PKCS11Exception e) {
            if (e.getErrorCode() == CkrConverter.CKR_PIN_INCORRECT) {
                throw new ManagementKeyIncorrectException(sessions.serial(), e.getErrorCode(), e.getErrorName());
            }
            if (e.getErrorCode() == PKCS11Constants.CKR_USER_ANOTHER_ALREADY_LOGGED_IN) {
                throw new TokenException(
                        TokenErrorCode.TOKEN_ERROR,
                        "cannot " + what + " on " + sessions.name() + ": the user"
                                + " is logged in to it through another handle in this process; log out first",
                        e.getErrorCode(),
                        e.getErrorName(),
                        e);
            }
            throw sessions.convert("C_Login", e);
        }
    }

    private static void logoutQuietly(Session s) {
        try {
            s.logout(); // C_Logout
        } catch (PKCS11Exception e) {
            // the session goes anyway
        }
    }

    private TokenKey generateAsSecurityOfficer(PivSlot slot, char[] key) throws TokenException {
        Session s = sessions.open();
        try {
            loginSo(s, key, "generate");
            try {
                KeyPairTemplate t =
                        new KeyPairTemplate(PKCS11Constants.CKK_EC).token(true).id(slot.ckaId());
                t.publicKey().verify(true).ecParams(EcKeys.P256_PARAMS);
                t.privateKey().private_(true).sensitive(true).sign(true);
                PKCS11KeyPair kp =
                        s.generateKeyPair(new Mechanism(PKCS11Constants.CKM_EC_KEY_PAIR_GEN), t); // C_GenerateKeyPair
                byte[] point = s.getAttrValues(kp.getPublicKey(), PKCS11Constants.CKA_EC_POINT)
                        .ecPoint(); // C_GetAttributeValue
                return keys.key(slot, point);
            } catch (PKCS11Exception e) {
                throw sessions.convert("C_GenerateKeyPair", e);
            } finally {
                logoutQuietly(s);
            }
        } finally {
            RawSessions.closeQuietly(s);
        }
    }

    private TokenKey importAsSecurityOfficer(PivSlot slot, ECPrivateKey privateKey, byte[] certificate, char[] key)
            throws TokenException {
        byte[] scalar = ImportMaterial.fixedLength(privateKey.getS(), 32);
        Session s = sessions.open();
        try {
            loginSo(s, key, "import");
            try {
                AttributeVector priv = AttributeVector.newPrivateKey(PKCS11Constants.CKK_EC)
                        .id(slot.ckaId())
                        .ecParams(EcKeys.P256_PARAMS)
                        .value(scalar);
                s.createObject(priv); // C_CreateObject: IMPORT ASYMMETRIC KEY (00 FE 11 <slot>)
                AttributeVector cert =
                        AttributeVector.newX509Certificate().id(slot.ckaId()).value(certificate);
                s.createObject(cert); // C_CreateObject: PUT DATA of the slot's certificate object
                long[] h = s.findObjectsSingle(AttributeVector.newPublicKey().id(slot.ckaId()), 1); // C_FindObjects
                if (h.length == 0) {
                    throw new TokenException(
                            TokenErrorCode.TOKEN_ERROR,
                            sessions.name() + " shows no public key in slot " + slot.hex() + " after the import");
                }
                byte[] point =
                        s.getAttrValues(h[0], PKCS11Constants.CKA_EC_POINT).ecPoint(); // C_GetAttributeValue
                return keys.key(slot, point);
            } catch (PKCS11Exception e) {
                throw sessions.convert("C_CreateObject", e);
            } finally {
                logoutQuietly(s);
            }
        } finally {
            Arrays.fill(scalar, (byte) 0);
            RawSessions.closeQuietly(s);
        }
    }
}
