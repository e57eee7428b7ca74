package dev.custody.pkcs11.yubikey;

import dev.custody.pkcs11.CkrConverter;
import dev.custody.pkcs11.EcKeys;
import dev.custody.pkcs11.HsmToken;
import dev.custody.pkcs11.KeyAlgorithm;
import dev.custody.pkcs11.KeyNotFoundException;
import dev.custody.pkcs11.PinIncorrectException;
import dev.custody.pkcs11.PinLockedException;
import dev.custody.pkcs11.PinRequiredException;
import dev.custody.pkcs11.PinSource;
import dev.custody.pkcs11.PrivateKeyAttributes;
import dev.custody.pkcs11.SignatureFormat;
import dev.custody.pkcs11.TokenAbsentException;
import dev.custody.pkcs11.TokenErrorCode;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenInfo;
import dev.custody.pkcs11.TokenKey;
import dev.custody.pkcs11.UnsupportedByBackendException;
import java.lang.System.Logger.Level;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;

/**
 * One YubiKey through ykcs11, identified by its serial number. An {@link HsmToken} (so code that
 * signs with any token signs with a YubiKey too) plus PIV slots: {@link #generate(PivSlot, KeyAlgorithm)},
 * {@link #findKey(PivSlot)}, {@link #keysBySlot()}, {@link #sign(PivSlot, byte[], SignatureFormat)}.
 *
 * <p>Call sequence: {@link YubikeyProfile#open(String, PinSource, ManagementKeySource, TouchNotifier)}
 * → {@link #login()} → {@link #sign} … ; {@link #generate} (management key; the user login is dropped
 * and restored around it) → {@link #close()}.
 *
 * <p>How it maps onto ykcs11:
 * <ul>
 * <li>A key's CKA_ID is its slot's one-byte id ({@link PivSlot#ckaId()}); labels are ykcs11's own.
 *     {@link #generateKeyPair} takes such an id and ignores the label.
 * <li>Generation: C_Login(CKU_SO, management key as 48 hex digits) → C_GenerateKeyPair
 *     (CKM_EC_KEY_PAIR_GEN, P-256, CKA_ID = slot) → C_Logout. ykcs11 refuses CKA_EXTRACTABLE in the
 *     template (CKR_ATTRIBUTE_TYPE_INVALID); PIV keys are never extractable anyway, and ykcs11 reports
 *     CKA_SENSITIVE, CKA_NEVER_EXTRACTABLE true and CKA_EXTRACTABLE false. ykcs11 also writes a
 *     self-signed placeholder certificate into the slot's certificate object. A slot that already
 *     holds a key is refused: a YubiKey overwrites keys without a trace.
 * <li>Keys are listed from the public key objects, which need no login.
 * <li>Signing: ECDSA over the SHA-256 digest (CKM_ECDSA). For keys with CKA_ALWAYS_AUTHENTICATE (9c:
 *     the PIV "PIN always" policy) C_Login(CKU_CONTEXT_SPECIFIC) with the PIN comes between C_SignInit
 *     and C_Sign, each time; the PIN source is asked once per such signature.
 * <li>Touch: every signature starts a timer; past the threshold the {@link TouchNotifier} is told
 *     "touch the YubiKey with serial N".
 * <li>Import ({@link #importKey(PivSlot, PrivateKey, PublicKey)}): C_Login(CKU_SO) → C_CreateObject
 *     (CKO_PRIVATE_KEY, CKK_EC, CKA_ID = slot, CKA_EC_PARAMS P-256, CKA_VALUE = the 32-byte scalar; ykcs11
 *     sends IMPORT ASYMMETRIC KEY, INS FE) → C_CreateObject(CKO_CERTIFICATE, a self-signed placeholder
 *     certificate of the public key, as ykcs11 writes one after generation; without it ykcs11 has no
 *     public key object for the slot until its next session reload) → C_Logout. EC P-256 only: Ed25519
 *     is no PIV algorithm before firmware 5.7 (UNSUPPORTED).
 * <li>No key deletion (PIV has none before firmware 5.7).
 * </ul>
 *
 * <p>The parts: {@link PivKeys} reads the slots, {@link ManagementKeyOperations} generates and imports with
 * the management key, {@link TouchWatch} times signatures for the touch notice, {@link RawSessions} opens the
 * ykcs11 sessions they all use. This class is the {@link HsmToken} and signs.
 */
public final class YubikeyToken implements HsmToken {
    private static final System.Logger LOG = System.getLogger(YubikeyToken.class.getName());

    private final HsmToken token;
    private final String serial;
    private final String name;
    private final PinSource pins;
    private final RawSessions sessions;
    private final PivKeys keys;
    private final ManagementKeyOperations officer;
    private final TouchWatch touch;
    /** A context-specific login was refused: no more PIN-always signatures until the next login(). */
    private volatile boolean pinRejected;
    /** login() succeeded and no logout() or wrong PIN since: log in again when ykcs11 forgot it (re-insert). */
    private volatile boolean wantLogin;
    /** Signatures share; generation (security-officer login, user logout and login) excludes them. */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    YubikeyToken(
            YubikeyProfile profile,
            HsmToken token,
            TokenInfo info,
            PinSource pins,
            ManagementKeySource managementKey,
            TouchNotifier touch,
            Duration touchThreshold) {
        this.token = token;
        this.serial = info.serial();
        this.name = "YubiKey " + info.serial();
        this.pins = checkedPins(pins);
        this.sessions = new RawSessions(profile, serial);
        this.keys = new PivKeys(sessions);
        this.officer = new ManagementKeyOperations(token, managementKey, sessions, keys, lock);
        this.touch = new TouchWatch(serial, touch, touchThreshold);
    }

    /** A PIN source that refuses PINs a YubiKey cannot have (ykcs11 would answer CKR_ARGUMENTS_BAD). */
    static PinSource checkedPins(PinSource pins) {
        return t -> {
            Optional<char[]> pin = pins.pin(t);
            if (pin.isPresent() && (pin.get().length < 6 || pin.get().length > 8)) {
                PinSource.wipe(pin.get());
                throw new TokenException(
                        TokenErrorCode.BAD_INPUT,
                        "a YubiKey PIV PIN has 6 to 8 characters;" + " the PIN from the PIN source for YubiKey "
                                + t.serial() + " does not");
            }
            return pin;
        };
    }

    /** The YubiKey's serial number: its identity. */
    public String serial() {
        return serial;
    }

    /** The PIV slot a key of this token sits in. */
    public static Optional<PivSlot> slotOf(TokenKey key) {
        return PivSlot.findByCkaId(key.id());
    }

    // ---- delegated to the ordinary backend -------------------------------------------------------

    @Override
    public TokenInfo info() throws TokenException {
        return token.info();
    }

    @Override
    public String backendName() {
        return token.backendName() + " (" + YubikeyProfile.NAME + " profile)";
    }

    @Override
    public void login() throws TokenException {
        try {
            token.login(); // C_Login(CKU_USER): VERIFY on the card
        } catch (PinIncorrectException | PinLockedException e) {
            wantLogin = false;
            throw e;
        }
        wantLogin = true;
        pinRejected = false;
    }

    @Override
    public boolean isLoggedIn() {
        return token.isLoggedIn();
    }

    @Override
    public void logout() throws TokenException {
        wantLogin = false;
        token.logout();
    }

    @Override
    public PrivateKeyAttributes privateKeyAttributes(byte[] keyId) throws TokenException {
        return token.privateKeyAttributes(keyId);
    }

    @Override
    public boolean supportsEd25519() {
        return false; // ykcs11 2.2.0 offers EC P-256/P-384 and RSA only
    }

    // ---- keys -----------------------------------------------------------------------------------

    /**
     * Generates a key pair on the card in {@code slot} (GENERATE ASYMMETRIC on the card; the private key
     * never leaves it). Needs the management key from the {@link ManagementKeySource}; the factory
     * default key works but is logged as a WARNING.
     *
     * @throws TokenException BAD_INPUT if the slot already holds a key; PIN_REQUIRED if no management
     *     key is configured; {@link ManagementKeyIncorrectException} if the card refuses it
     */
    public TokenKey generate(PivSlot slot, KeyAlgorithm algorithm) throws TokenException {
        if (algorithm != KeyAlgorithm.EC_P256) {
            throw new UnsupportedByBackendException(
                    backendName(),
                    "generate " + algorithm + " keys",
                    "ykcs11 generates ECDSA P-256 (and P-384, RSA) keys only");
        }
        requireEmpty(slot);
        TokenKey k = officer.generate(slot);
        LOG.log(Level.INFO, "generated a P-256 key in PIV slot {0} of YubiKey {1}", slot.hex(), serial);
        return k;
    }

    /**
     * HsmToken form of {@link #generate(PivSlot, KeyAlgorithm)}: {@code id} must be a PIV slot's CKA_ID
     * ({@link PivSlot#ckaId()}); {@code label} is ignored (ykcs11's labels are fixed).
     */
    @Override
    public TokenKey generateKeyPair(KeyAlgorithm algorithm, byte[] id, String label) throws TokenException {
        return generate(PivSlot.byCkaId(id), algorithm);
    }

    /**
     * HsmToken form of {@link #importKey(PivSlot, PrivateKey, PublicKey)}: {@code id} must be a PIV slot's
     * CKA_ID ({@link PivSlot#ckaId()}); {@code label} is ignored (ykcs11's labels are fixed).
     */
    @Override
    public TokenKey importPrivateKey(PrivateKey privateKey, PublicKey publicKey, byte[] id, String label)
            throws TokenException {
        return importKey(PivSlot.byCkaId(id), privateKey, publicKey);
    }

    /**
     * Puts a software EC P-256 private key into {@code slot} (IMPORT ASYMMETRIC KEY through ykcs11's
     * C_CreateObject) with a placeholder certificate of its public key; afterwards the key signs, is
     * listed and found by slot like a generated one. The private key cannot be read back (PIV has no way
     * to); the caller still holds and must dispose of the software copy. Needs the management key.
     *
     * @throws UnsupportedByBackendException for Ed25519 (and any key but EC P-256)
     * @throws TokenException BAD_INPUT if the slot already holds a key or the public key does not belong
     *     to the private key; PIN_REQUIRED without a management key; {@link ManagementKeyIncorrectException}
     */
    public TokenKey importKey(PivSlot slot, PrivateKey privateKey, PublicKey publicKey) throws TokenException {
        if (!(privateKey instanceof ECPrivateKey ec)
                || ec.getParams().getCurve().getField().getFieldSize() != 256
                || !(publicKey instanceof ECPublicKey)) {
            String alg = privateKey == null ? "null" : privateKey.getAlgorithm();
            throw new UnsupportedByBackendException(
                    backendName(),
                    "import " + alg + " keys",
                    ("Ed25519".equalsIgnoreCase(alg) || "EdDSA".equalsIgnoreCase(alg)
                                    ? "Ed25519 is not a PIV algorithm on YubiKey 5 firmware before 5.7;"
                                    : "a PIV slot takes")
                            + " ECDSA P-256 keys only here; put this key on a PKCS#11 token (SoftHSM2, an HSM) instead");
        }
        if (!ImportMaterial.matches(privateKey, publicKey)) {
            throw new TokenException(
                    TokenErrorCode.BAD_INPUT,
                    "the public key given for the import does not"
                            + " belong to the private key; nothing was written to " + name);
        }
        requireEmpty(slot);
        byte[] certificate = ImportMaterial.placeholderCertificate(slot, privateKey, publicKey);
        TokenKey k = officer.importKey(slot, (ECPrivateKey) privateKey, certificate);
        LOG.log(Level.INFO, "imported a P-256 key into PIV slot {0} of YubiKey {1}", slot.hex(), serial);
        return k;
    }

    /** A YubiKey overwrites keys without a trace, so Custody does not. */
    private void requireEmpty(PivSlot slot) throws TokenException {
        if (findKey(slot).isPresent()) {
            throw new TokenException(
                    TokenErrorCode.BAD_INPUT,
                    "slot " + slot + " of " + name + " already holds a"
                            + " key; a YubiKey overwrites keys irrecoverably, so Custody does not: choose an empty slot");
        }
    }

    /**
     * Whether ykcs11 hands out CKA_VALUE of the private key in {@code slot} (it never should: PIV keys
     * cannot be read off the card). Only a yes/no leaves this method; the value, if any, is wiped.
     */
    public boolean privateValueReadable(PivSlot slot) throws TokenException {
        return keys.privateValueReadable(slot);
    }

    @Override
    public void deleteKey(byte[] id) throws TokenException {
        throw new UnsupportedByBackendException(
                backendName(), "delete keys", "PIV has no key deletion; generate a new key into another slot");
    }

    /** Every key on the YubiKey, by slot. Reads public key objects: no login needed. */
    public Map<PivSlot, TokenKey> keysBySlot() throws TokenException {
        Map<PivSlot, TokenKey> out = new EnumMap<>(PivSlot.class);
        for (TokenKey k : listKeys()) {
            out.put(slotOf(k).orElseThrow(), k);
        }
        return out;
    }

    /** All keys in PIV key slots (not the attestation key), from their public key objects; no login needed. */
    @Override
    public List<TokenKey> listKeys() throws TokenException {
        return keys.list();
    }

    /** The key in a slot, if there is one. No login needed. */
    public Optional<TokenKey> findKey(PivSlot slot) throws TokenException {
        return keys.find(slot);
    }

    @Override
    public Optional<TokenKey> findKey(byte[] id) throws TokenException {
        Optional<PivSlot> slot = PivSlot.findByCkaId(id);
        return slot.isEmpty() ? Optional.empty() : findKey(slot.get());
    }

    // ---- signing ----------------------------------------------------------------------------------

    /** ECDSA P-256 over SHA-256 of {@code message} with the key in {@code slot}. */
    public byte[] sign(PivSlot slot, byte[] message, SignatureFormat format) throws TokenException {
        return signDigest(slot, sha256(message), format);
    }

    @Override
    public byte[] sign(byte[] keyId, byte[] message, SignatureFormat format) throws TokenException {
        return signDigest(PivSlot.byCkaId(keyId), sha256(message), format);
    }

    @Override
    public byte[] signDigest(byte[] keyId, byte[] sha256, SignatureFormat format) throws TokenException {
        return signDigest(PivSlot.byCkaId(keyId), sha256, format);
    }

    /** ECDSA over a SHA-256 digest computed by the caller. */
    public byte[] signDigest(PivSlot slot, byte[] sha256, SignatureFormat format) throws TokenException {
        if (sha256.length != 32) {
            throw new TokenException(TokenErrorCode.BAD_INPUT, "a SHA-256 digest is 32 bytes, got " + sha256.length);
        }
        lock.readLock().lock();
        try {
            byte[] raw = touch.watch(slot, () -> signRaw(slot, sha256));
            return format == SignatureFormat.DER ? EcKeys.rawToDer(raw) : raw;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** C_SignInit [C_Login(CKU_CONTEXT_SPECIFIC)] C_Sign on a fresh session; raw r||s. */
    private byte[] signRaw(PivSlot slot, byte[] digest) throws TokenException {
        Session s = sessions.open();
        try {
            ensureLoggedIn(s);
            long[] h = s.findObjectsSingle(AttributeVector.newPrivateKey().id(slot.ckaId()), 1); // C_FindObjects
            if (h.length == 0) {
                throw new KeyNotFoundException(
                        name + " slot " + slot.hex(), HexFormat.of().formatHex(slot.ckaId()));
            }
            boolean always = Boolean.TRUE.equals(s.getAttrValues(h[0], PKCS11Constants.CKA_ALWAYS_AUTHENTICATE)
                    .alwaysAuthenticate());
            s.signInit(new Mechanism(PKCS11Constants.CKM_ECDSA), h[0]); // C_SignInit
            if (always) {
                contextLogin(s);
            }
            return s.sign(digest); // C_Sign: GENERAL AUTHENTICATE on the card (waits for a touch if needed)
        } catch (PKCS11Exception e) {
            throw sessions.convert("C_Sign", e);
        } finally {
            RawSessions.closeQuietly(s);
        }
    }

    /**
     * ykcs11 keeps one login state per token. If it is not "user" (never logged in, logged out, or the
     * YubiKey was pulled out and put back), log in again from the PIN source, as {@link HsmToken}
     * promises after a re-insert, unless the caller logged out or the PIN was wrong.
     */
    private void ensureLoggedIn(Session s) throws TokenException, PKCS11Exception {
        long state = s.getSessionInfo().getState(); // C_GetSessionInfo
        if (state == PKCS11Constants.CKS_RW_USER_FUNCTIONS || state == PKCS11Constants.CKS_RO_USER_FUNCTIONS) {
            return;
        }
        if (!wantLogin) {
            throw new PinRequiredException(name, "signing needs the user to be logged in (custody token unlock)");
        }
        try {
            login();
        } catch (TokenAbsentException e) {
            // after a re-insert the backend's first call only finds its sessions gone; the second reconnects
            login();
        }
    }

    /** The PIN again, right before a PIN-always signature; a refusal stops further ones until login(). */
    private void contextLogin(Session s) throws TokenException {
        if (pinRejected) {
            throw new PinRequiredException(name, "the PIN was refused for a previous signature; log in again");
        }
        TokenInfo info = info();
        char[] pin = pins.pin(info)
                .orElseThrow(() -> new PinRequiredException(
                        name, "the key needs the PIN for every signature and no PIN is available from the PIN source"));
        try {
            s.login(PKCS11Constants.CKU_CONTEXT_SPECIFIC, pin); // C_Login(CKU_CONTEXT_SPECIFIC): VERIFY
        } catch (PKCS11Exception e) {
            if (e.getErrorCode() == CkrConverter.CKR_PIN_INCORRECT || e.getErrorCode() == CkrConverter.CKR_PIN_LOCKED) {
                pinRejected = true;
                TokenInfo after = info();
                if (e.getErrorCode() == CkrConverter.CKR_PIN_LOCKED || after.userPinLocked()) {
                    throw new PinLockedException(name, e.getErrorCode(), e.getErrorName());
                }
                throw new PinIncorrectException(
                        name, e.getErrorCode(), e.getErrorName(), after.userPinCountLow(), after.userPinFinalTry());
            }
            throw sessions.convert("C_Login", e);
        } finally {
            PinSource.wipe(pin);
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        token.close();
    }

    @Override
    public String toString() {
        return "YubikeyToken[" + serial + "]";
    }
}
