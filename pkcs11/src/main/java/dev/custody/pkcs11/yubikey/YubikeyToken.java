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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.KeyPairTemplate;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.PKCS11KeyPair;
import org.xipki.pkcs11.wrapper.Session;
import org.xipki.pkcs11.wrapper.Slot;

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
 */
public final class YubikeyToken implements HsmToken {
    private static final System.Logger LOG = System.getLogger(YubikeyToken.class.getName());
    private static final ScheduledExecutorService TIMER = timer();

    private final YubikeyProfile profile;
    private final HsmToken token;
    private final String serial;
    private final String name;
    private final PinSource pins;
    private final ManagementKeySource managementKey;
    private final TouchNotifier touch;
    private final Duration touchThreshold;
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
        this.profile = profile;
        this.token = token;
        this.serial = info.serial();
        this.name = "YubiKey " + info.serial();
        this.pins = checkedPins(pins);
        this.managementKey = managementKey;
        this.touch = touch;
        this.touchThreshold = touchThreshold;
    }

    private static ScheduledExecutorService timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "yubikey-touch-timer");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        return t;
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
        if (findKey(slot).isPresent()) {
            throw new TokenException(
                    TokenErrorCode.BAD_INPUT,
                    "slot " + slot + " of " + name + " already holds a"
                            + " key; a YubiKey overwrites keys irrecoverably, so Custody does not: choose an empty slot");
        }
        TokenKey k = asSecurityOfficer("generating a key", key -> generateAsSecurityOfficer(slot, key));
        LOG.log(Level.INFO, "generated a P-256 key in PIV slot {0} of YubiKey {1}", slot.hex(), serial);
        return k;
    }

    @FunctionalInterface
    private interface SoCall<T> {
        T call(char[] managementKey) throws TokenException;
    }

    /**
     * Runs {@code call} with the management key from the {@link ManagementKeySource}, the user logged out
     * (ykcs11 refuses the SO login while the user is logged in) and signatures held off; logs the user in
     * again afterwards if they were. The factory default key works but is logged as a WARNING.
     */
    private <T> T asSecurityOfficer(String what, SoCall<T> call) throws TokenException {
        TokenInfo info = info();
        char[] key = managementKey
                .managementKey(info)
                .orElseThrow(() -> new PinRequiredException(
                        name,
                        what + " needs the YubiKey's PIV management key (48 hex digits) from a management key"
                                + " source (a credentials file); none is configured"));
        boolean wasLoggedIn = token.isLoggedIn();
        lock.writeLock().lock();
        try {
            if (!ManagementKeySource.isWellFormed(key)) {
                throw new TokenException(
                        TokenErrorCode.BAD_INPUT,
                        "the management key for " + name + " must be 48 hex digits (a 24-byte 3DES key)");
            }
            if (ManagementKeySource.isDefault(key)) {
                LOG.log(
                        Level.WARNING,
                        "YubiKey {0} is used with the well-known DEFAULT PIV management key"
                                + " (010203...08): anyone holding this YubiKey can overwrite its keys. Set a new management"
                                + " key (ykman piv access change-management-key) and give it to Custody through a"
                                + " credentials file.",
                        serial);
            }
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

    /** C_Login(CKU_SO) on a fresh session: 3DES mutual authentication with the management key. */
    private void loginSo(Session s, char[] key, String what) throws TokenException {
        try {
            s.login(PKCS11Constants.CKU_SO, key); // C_Login(CKU_SO): 3DES mutual authentication
        } catch (PKCS11Exception e) {
            if (e.getErrorCode() == CkrConverter.CKR_PIN_INCORRECT) {
                throw new ManagementKeyIncorrectException(serial, e.getErrorCode(), e.getErrorName());
            }
            if (e.getErrorCode() == PKCS11Constants.CKR_USER_ANOTHER_ALREADY_LOGGED_IN) {
                throw new TokenException(
                        TokenErrorCode.TOKEN_ERROR,
                        "cannot " + what + " on " + name + ": the user"
                                + " is logged in to it through another handle in this process; log out first",
                        e.getErrorCode(),
                        e.getErrorName(),
                        e);
            }
            throw convert("C_Login", e);
        }
    }

    private TokenKey generateAsSecurityOfficer(PivSlot slot, char[] key) throws TokenException {
        Session s = openRawSession();
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
                return new TokenKey(slot.ckaId(), privateLabel(slot), KeyAlgorithm.EC_P256, publicKey(point));
            } catch (PKCS11Exception e) {
                throw convert("C_GenerateKeyPair", e);
            } finally {
                try {
                    s.logout(); // C_Logout
                } catch (PKCS11Exception e) {
                    // the session goes anyway
                }
            }
        } finally {
            closeQuietly(s);
        }
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
        if (!matches(privateKey, publicKey)) {
            throw new TokenException(
                    TokenErrorCode.BAD_INPUT,
                    "the public key given for the import does not"
                            + " belong to the private key; nothing was written to " + name);
        }
        if (findKey(slot).isPresent()) {
            throw new TokenException(
                    TokenErrorCode.BAD_INPUT,
                    "slot " + slot + " of " + name + " already holds a"
                            + " key; a YubiKey overwrites keys irrecoverably, so Custody does not: choose an empty slot");
        }
        byte[] certificate = placeholderCertificate(slot, privateKey, publicKey);
        TokenKey k = asSecurityOfficer(
                "importing a key", key -> importAsSecurityOfficer(slot, (ECPrivateKey) privateKey, certificate, key));
        LOG.log(Level.INFO, "imported a P-256 key into PIV slot {0} of YubiKey {1}", slot.hex(), serial);
        return k;
    }

    private TokenKey importAsSecurityOfficer(PivSlot slot, ECPrivateKey privateKey, byte[] certificate, char[] key)
            throws TokenException {
        byte[] scalar = fixedLength(privateKey.getS(), 32);
        Session s = openRawSession();
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
                            name + " shows no public key in slot " + slot.hex() + " after the import");
                }
                byte[] point =
                        s.getAttrValues(h[0], PKCS11Constants.CKA_EC_POINT).ecPoint(); // C_GetAttributeValue
                return new TokenKey(slot.ckaId(), privateLabel(slot), KeyAlgorithm.EC_P256, publicKey(point));
            } catch (PKCS11Exception e) {
                throw convert("C_CreateObject", e);
            } finally {
                try {
                    s.logout(); // C_Logout
                } catch (PKCS11Exception e) {
                    // the session goes anyway
                }
            }
        } finally {
            Arrays.fill(scalar, (byte) 0);
            closeQuietly(s);
        }
    }

    /**
     * Whether ykcs11 hands out CKA_VALUE of the private key in {@code slot} (it never should: PIV keys
     * cannot be read off the card). Only a yes/no leaves this method; the value, if any, is wiped.
     */
    public boolean privateValueReadable(PivSlot slot) throws TokenException {
        Session s = openRawSession();
        try {
            long[] h = s.findObjectsSingle(AttributeVector.newPrivateKey().id(slot.ckaId()), 1); // C_FindObjects
            if (h.length == 0) {
                throw new KeyNotFoundException(
                        name + " slot " + slot.hex(), HexFormat.of().formatHex(slot.ckaId()));
            }
            byte[] v;
            try {
                v = s.getAttrValues(h[0], PKCS11Constants.CKA_VALUE).value(); // C_GetAttributeValue
            } catch (PKCS11Exception e) {
                return false; // CKR_ATTRIBUTE_SENSITIVE / CKR_ATTRIBUTE_TYPE_INVALID
            }
            boolean readable = v != null && v.length > 0;
            if (v != null) {
                Arrays.fill(v, (byte) 0);
            }
            return readable;
        } catch (PKCS11Exception e) {
            throw convert("C_FindObjects", e);
        } finally {
            closeQuietly(s);
        }
    }

    /** Whether {@code publicKey} verifies a signature made with {@code privateKey} (in software). */
    private static boolean matches(PrivateKey privateKey, PublicKey publicKey) {
        try {
            byte[] probe = "custody yubikey import check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            java.security.Signature sig = java.security.Signature.getInstance("SHA256withECDSA");
            sig.initSign(privateKey);
            sig.update(probe);
            byte[] der = sig.sign();
            sig.initVerify(publicKey);
            sig.update(probe);
            return sig.verify(der);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static byte[] fixedLength(java.math.BigInteger v, int n) {
        byte[] b = v.toByteArray();
        byte[] out = new byte[n];
        int start = Math.max(0, b.length - n);
        System.arraycopy(b, start, out, n - (b.length - start), b.length - start);
        Arrays.fill(b, (byte) 0);
        return out;
    }

    /**
     * A self-signed X.509 certificate of the imported public key (CN=Custody imported key, slot …), signed
     * in software with the private key being imported; ykcs11 reads the slot's public key from it.
     */
    private static byte[] placeholderCertificate(PivSlot slot, PrivateKey privateKey, PublicKey publicKey)
            throws TokenException {
        try {
            org.bouncycastle.asn1.x500.X500Name subject =
                    new org.bouncycastle.asn1.x500.X500Name("CN=Custody imported key (PIV slot " + slot.hex() + ")");
            java.time.Instant now = java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
            var b = new org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder(
                    subject,
                    new java.math.BigInteger(64, new java.security.SecureRandom()),
                    java.util.Date.from(now),
                    java.util.Date.from(now.plus(Duration.ofDays(3650))),
                    subject,
                    publicKey);
            var signer =
                    new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA").build(privateKey);
            return b.build(signer).getEncoded();
        } catch (org.bouncycastle.operator.OperatorCreationException | java.io.IOException e) {
            throw new TokenException(
                    TokenErrorCode.BAD_INPUT,
                    "cannot make the placeholder certificate for the" + " imported key: " + e.getMessage());
        }
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
        Session s = openRawSession();
        try {
            List<TokenKey> out = new ArrayList<>();
            for (long h : s.findAllObjectsSingle(AttributeVector.newPublicKey())) { // C_FindObjects*
                AttributeVector a = s.getAttrValues(h, PKCS11Constants.CKA_ID, PKCS11Constants.CKA_KEY_TYPE);
                Optional<PivSlot> slot = PivSlot.findByCkaId(a.id());
                if (slot.isPresent()) {
                    toKey(s, h, slot.get(), a.keyType()).ifPresent(out::add);
                }
            }
            return out;
        } catch (PKCS11Exception e) {
            throw convert("C_FindObjects", e);
        } finally {
            closeQuietly(s);
        }
    }

    /** The key in a slot, if there is one. No login needed. */
    public Optional<TokenKey> findKey(PivSlot slot) throws TokenException {
        Session s = openRawSession();
        try {
            long[] h = s.findObjectsSingle(AttributeVector.newPublicKey().id(slot.ckaId()), 1); // C_FindObjects
            if (h.length == 0) {
                return Optional.empty();
            }
            Long keyType = s.getAttrValues(h[0], PKCS11Constants.CKA_KEY_TYPE).keyType();
            return toKey(s, h[0], slot, keyType);
        } catch (PKCS11Exception e) {
            throw convert("C_FindObjects", e);
        } finally {
            closeQuietly(s);
        }
    }

    @Override
    public Optional<TokenKey> findKey(byte[] id) throws TokenException {
        Optional<PivSlot> slot = PivSlot.findByCkaId(id);
        return slot.isEmpty() ? Optional.empty() : findKey(slot.get());
    }

    /** Custody keys are P-256; RSA and P-384 keys in other slots are skipped. */
    private Optional<TokenKey> toKey(Session s, long pubHandle, PivSlot slot, Long keyType)
            throws PKCS11Exception, TokenException {
        if (keyType == null || keyType != PKCS11Constants.CKK_EC) {
            return Optional.empty();
        }
        AttributeVector a = s.getAttrValues(pubHandle, PKCS11Constants.CKA_EC_PARAMS, PKCS11Constants.CKA_EC_POINT);
        if (!isP256(a.ecParams())) {
            return Optional.empty();
        }
        return Optional.of(
                new TokenKey(slot.ckaId(), privateLabel(slot), KeyAlgorithm.EC_P256, publicKey(a.ecPoint())));
    }

    private static final byte[] P256_PRIME =
            HexFormat.of().parseHex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
    private static final byte[] P256_ORDER =
            HexFormat.of().parseHex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    private static final byte[] P256_GX =
            HexFormat.of().parseHex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");

    /**
     * True for P-256 CKA_EC_PARAMS in either form ykcs11 uses: the named curve OID (for keys it learnt
     * from a certificate) or explicit ECParameters (for keys it learnt from GET METADATA, that is every
     * key without a certificate when the module starts; OpenSSL encodes those explicitly). Explicit
     * parameters are recognised by P-256's prime, order and generator.
     */
    static boolean isP256(byte[] ecParams) {
        if (ecParams == null) {
            return false;
        }
        if (Arrays.equals(ecParams, EcKeys.P256_PARAMS)) {
            return true;
        }
        return ecParams.length > 0
                && ecParams[0] == 0x30
                && contains(ecParams, P256_PRIME)
                && contains(ecParams, P256_ORDER)
                && contains(ecParams, P256_GX);
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** ykcs11's label of a slot's private key, e.g. "Private key for Digital Signature". */
    static String privateLabel(PivSlot slot) {
        return "Private key for " + slot.title();
    }

    private PublicKey publicKey(byte[] point) throws TokenException {
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
            byte[] raw = watchTouch(slot, () -> signRaw(slot, sha256));
            return format == SignatureFormat.DER ? EcKeys.rawToDer(raw) : raw;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** C_SignInit [C_Login(CKU_CONTEXT_SPECIFIC)] C_Sign on a fresh session; raw r||s. */
    private byte[] signRaw(PivSlot slot, byte[] digest) throws TokenException {
        Session s = openRawSession();
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
            throw convert("C_Sign", e);
        } finally {
            closeQuietly(s);
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
            throw convert("C_Login", e);
        } finally {
            PinSource.wipe(pin);
        }
    }

    @FunctionalInterface
    private interface TokenCall<T> {
        T call() throws TokenException;
    }

    /** Runs a signature; if it takes longer than the threshold, tells the notifier to ask for a touch. */
    private <T> T watchTouch(PivSlot slot, TokenCall<T> call) throws TokenException {
        TouchNotifier.TouchRequest request = new TouchNotifier.TouchRequest(serial, slot, touchThreshold);
        ScheduledFuture<?> timer = TIMER.schedule(
                () -> notify(() -> touch.touchRequired(request)), touchThreshold.toNanos(), TimeUnit.NANOSECONDS);
        try {
            return call.call();
        } finally {
            if (!timer.cancel(false)) {
                try {
                    timer.get(5, TimeUnit.SECONDS); // let touchRequired finish before touchFinished
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (ExecutionException | TimeoutException e) {
                    // a notifier that failed or hangs does not hold up the signature
                }
                notify(() -> touch.touchFinished(request));
            }
        }
    }

    private static void notify(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "touch notifier failed: {0}", e.toString());
        }
    }

    // ---- sessions ---------------------------------------------------------------------------------

    private Session openRawSession() throws TokenException {
        Slot slot = profile.rawSlot(serial);
        try {
            return slot.getToken().openSession(true); // C_OpenSession(CKF_SERIAL_SESSION | CKF_RW_SESSION)
        } catch (PKCS11Exception e) {
            throw convert("C_OpenSession", e);
        }
    }

    private static void closeQuietly(Session s) {
        try {
            s.closeSession(); // C_CloseSession
        } catch (PKCS11Exception | RuntimeException e) {
            // already gone
        }
    }

    private TokenException convert(String function, PKCS11Exception e) {
        return CkrConverter.convert(function, name, e.getErrorCode(), e.getErrorName(), e);
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
