package dev.custody.pkcs11.xipki;

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
import dev.custody.pkcs11.TokenSelector;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.KeyPairTemplate;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.PKCS11KeyPair;
import org.xipki.pkcs11.wrapper.Session;

/**
 * A token through ipkcs11wrapper: a pool of R/W sessions, one login, recovery after re-insert.
 *
 * <p>Each connection to the token is a "generation": the slot found by label/serial, its sessions and
 * its login. A removal error (CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT, CKR_SESSION_HANDLE_INVALID,
 * CKR_SESSION_CLOSED, or CKR_USER_NOT_LOGGED_IN after we had logged in) ends the generation: its
 * sessions are dropped, the slot is looked up again (slot IDs may change), the user is logged in again
 * from the PIN source, and the operation is tried once more. While the token is absent every call
 * fails fast with {@link TokenAbsentException}.
 */
final class XipkiToken implements HsmToken {
    private final XipkiBackend backend;
    private final TokenSelector selector;
    private final PinSource pins;
    private final String name;
    private final XipkiKeyLookup keys;

    private final Object lock = new Object();
    /** Current connection, or null while disconnected. Written under {@link #lock}; read without it on the sign path. */
    private volatile Generation current;

    private long generationCounter;
    /** A successful login() happened and no wrong PIN since: re-login automatically after re-insert. */
    private volatile boolean wantLogin;

    private volatile boolean closed;

    @FunctionalInterface
    private interface SessionOp<T> {
        T apply(Session s) throws PKCS11Exception, TokenException;
    }

    XipkiToken(XipkiBackend backend, TokenSelector selector, TokenInfo info, PinSource pins) {
        this.backend = backend;
        this.selector = selector;
        this.pins = pins;
        this.name = info.label().isEmpty() ? selector.toString() : info.displayName();
        this.keys = new XipkiKeyLookup(name);
    }

    @Override
    public String backendName() {
        return XipkiBackend.NAME;
    }

    @Override
    public TokenInfo info() throws TokenException {
        return backend.findPresent(selector)
                .map(java.util.Map.Entry::getValue)
                .orElseThrow(() -> new TokenAbsentException(name, null, null));
    }

    // ---- connection management ------------------------------------------------------------

    /** The live generation, connecting (and re-logging in) if needed; fails fast if the token is absent. */
    private Generation connected() throws TokenException {
        if (closed) {
            throw new IllegalStateException("token " + name + " is closed");
        }
        Generation live = current;
        if (live != null && !live.dead) {
            return live; // the common case, without the lock every signer would queue on
        }
        synchronized (lock) {
            if (current != null && !current.dead) {
                return current;
            }
            var found = backend.findPresent(selector).orElseThrow(() -> new TokenAbsentException(name, null, null));
            Generation g = new Generation(++generationCounter, found.getKey());
            try {
                if (wantLogin) {
                    try {
                        doLogin(g);
                    } catch (PinIncorrectException | PinLockedException e) {
                        wantLogin = false;
                        throw e;
                    }
                }
            } finally {
                // published after the re-login, so the lock-free path above never hands out a
                // generation whose login is still in progress
                if (!g.dead) {
                    current = g;
                }
            }
            return g;
        }
    }

    /** Ends a generation after a removal error; its sessions are closed as they come back. */
    private void invalidate(Generation g) {
        synchronized (lock) {
            g.dead = true;
            if (current == g) {
                current = null;
            }
        }
        g.closeIdle();
    }

    /** Runs an operation on a pooled session; after a removal error, reconnects and tries once more. */
    private <T> T withSession(String function, SessionOp<T> op) throws TokenException {
        for (int attempt = 0; ; attempt++) {
            Generation g = connected();
            Session s;
            try {
                s = g.borrow(name);
            } catch (PKCS11Exception e) {
                if (CkrConverter.isRemoval(e.getErrorCode()) && attempt == 0) {
                    invalidate(g);
                    continue;
                }
                throw convert("C_OpenSession", e);
            }
            boolean discard = false;
            try {
                return op.apply(s);
            } catch (PKCS11Exception e) {
                long ckr = e.getErrorCode();
                boolean removal =
                        CkrConverter.isRemoval(ckr) || (ckr == CkrConverter.CKR_USER_NOT_LOGGED_IN && g.loggedIn);
                if (removal) {
                    discard = true;
                    invalidate(g);
                    if (attempt == 0) {
                        continue;
                    }
                    if (ckr == CkrConverter.CKR_USER_NOT_LOGGED_IN) {
                        throw new PinRequiredException(
                                name,
                                "the token forgot the login (re-inserted?)"
                                        + " and no PIN is available to log in again");
                    }
                }
                if (ckr == CkrConverter.CKR_USER_NOT_LOGGED_IN) {
                    throw new PinRequiredException(name, function + " needs the user to be logged in");
                }
                throw convert(function, e);
            } finally {
                g.giveBack(s, discard, closed);
            }
        }
    }

    private TokenException convert(String function, PKCS11Exception e) {
        return CkrConverter.convert(function, name, e.getErrorCode(), e.getErrorName(), e);
    }

    // ---- login --------------------------------------------------------------------------------

    @Override
    public void login() throws TokenException {
        Generation g = connected();
        synchronized (lock) {
            try {
                doLogin(g);
                wantLogin = true;
            } catch (PinIncorrectException | PinLockedException e) {
                wantLogin = false;
                throw e;
            }
        }
    }

    /** C_Login as CKU_USER, exactly once, with a PIN from the source; wipes the PIN afterwards. */
    private void doLogin(Generation g) throws TokenException {
        TokenInfo before = tokenInfoOf(g);
        if (before.userPinLocked()) {
            throw new PinLockedException(name, null, null);
        }
        char[] pin = pins.pin(before)
                .orElseThrow(() -> new PinRequiredException(name, "no PIN available from the PIN source"));
        Session s = null;
        try {
            s = g.borrow(name);
            try {
                s.login(PKCS11Constants.CKU_USER, pin); // C_Login
            } catch (PKCS11Exception e) {
                if (e.getErrorCode() != CkrConverter.CKR_USER_ALREADY_LOGGED_IN) {
                    throw e;
                }
                // Login state is per process: another handle on this token logged in. Log out and in
                // again so that this PIN is really checked (otherwise a wrong PIN would "succeed").
                s.logout(); // C_Logout
                s.login(PKCS11Constants.CKU_USER, pin); // C_Login
            }
            g.loggedIn = true;
        } catch (PKCS11Exception e) {
            long ckr = e.getErrorCode();
            if (ckr == CkrConverter.CKR_PIN_INCORRECT) {
                TokenInfo after = safeTokenInfo(g).orElse(before);
                if (after.userPinLocked()) {
                    throw new PinLockedException(name, ckr, e.getErrorName());
                }
                throw new PinIncorrectException(
                        name, ckr, e.getErrorName(), after.userPinCountLow(), after.userPinFinalTry());
            }
            if (CkrConverter.isRemoval(ckr)) {
                invalidate(g);
            }
            throw convert("C_Login", e);
        } finally {
            PinSource.wipe(pin);
            if (s != null) {
                g.giveBack(s, false, closed);
            }
        }
    }

    private TokenInfo tokenInfoOf(Generation g) throws TokenException {
        return XipkiBackend.tokenInfo(g.slot)
                .filter(TokenInfo::present)
                .orElseThrow(() -> new TokenAbsentException(name, null, null));
    }

    private Optional<TokenInfo> safeTokenInfo(Generation g) {
        return XipkiBackend.tokenInfo(g.slot);
    }

    @Override
    public boolean isLoggedIn() {
        Generation g = current;
        return g != null && !g.dead && g.loggedIn;
    }

    @Override
    public void logout() throws TokenException {
        wantLogin = false;
        withSession("C_Logout", s -> {
            try {
                s.logout(); // C_Logout
            } catch (PKCS11Exception e) {
                if (e.getErrorCode() != CkrConverter.CKR_USER_NOT_LOGGED_IN) {
                    throw e;
                }
            }
            synchronized (lock) {
                if (current != null) {
                    current.loggedIn = false;
                }
            }
            return null;
        });
    }

    // ---- keys -----------------------------------------------------------------------------------

    @Override
    public boolean supportsEd25519() throws TokenException {
        Generation g = connected();
        long[] mechs = g.token.getMechanismList(); // C_GetMechanismList
        boolean gen = false;
        boolean sign = false;
        for (long m : mechs) {
            gen |= m == PKCS11Constants.CKM_EC_EDWARDS_KEY_PAIR_GEN;
            sign |= m == PKCS11Constants.CKM_EDDSA;
        }
        return gen && sign;
    }

    @Override
    public TokenKey generateKeyPair(KeyAlgorithm algorithm, byte[] id, String label) throws TokenException {
        checkId(id, label);
        requireNoKey(id);
        if (algorithm == KeyAlgorithm.ED25519 && !supportsEd25519()) {
            throw new dev.custody.pkcs11.UnsupportedByBackendException(
                    XipkiBackend.NAME,
                    "generate Ed25519 keys",
                    "token " + name + " does not offer CKM_EC_EDWARDS_KEY_PAIR_GEN");
        }
        return withSession("C_GenerateKeyPair", s -> {
            long keyType = algorithm == KeyAlgorithm.EC_P256 ? PKCS11Constants.CKK_EC : PKCS11Constants.CKK_EC_EDWARDS;
            long mech = algorithm == KeyAlgorithm.EC_P256
                    ? PKCS11Constants.CKM_EC_KEY_PAIR_GEN
                    : PKCS11Constants.CKM_EC_EDWARDS_KEY_PAIR_GEN;
            KeyPairTemplate t = new KeyPairTemplate(keyType).token(true).id(id).labels(label);
            custodyPrivateKey(t.privateKey());
            t.publicKey()
                    .private_(false)
                    .verify(true)
                    .ecParams(algorithm == KeyAlgorithm.EC_P256 ? EcKeys.P256_PARAMS : EcKeys.ED25519_PARAMS);
            PKCS11KeyPair kp = s.generateKeyPair(new Mechanism(mech), t); // C_GenerateKeyPair
            byte[] point = s.getAttrValues(kp.getPublicKey(), PKCS11Constants.CKA_EC_POINT)
                    .ecPoint();
            return new TokenKey(id, label, algorithm, keys.publicKeyFrom(algorithm, point));
        });
    }

    @Override
    public TokenKey importPrivateKey(PrivateKey privateKey, PublicKey publicKey, byte[] id, String label)
            throws TokenException {
        checkId(id, label);
        if (!(privateKey instanceof ECPrivateKey ec)
                || !(publicKey instanceof ECPublicKey ecPub)
                || ec.getParams().getCurve().getField().getFieldSize() != 256) {
            throw new dev.custody.pkcs11.UnsupportedByBackendException(
                    XipkiBackend.NAME,
                    "import this key",
                    "only ECDSA P-256 private keys can be imported (notary's default key type)");
        }
        requireNoKey(id);
        return withSession("C_CreateObject", s -> {
            AttributeVector priv = custodyPrivateKey(
                            AttributeVector.newECPrivateKey().token(true))
                    .id(id)
                    .label(label)
                    .ecParams(EcKeys.P256_PARAMS)
                    .value(org.xipki.pkcs11.wrapper.Functions.asUnsignedByteArray(ec.getS()));
            AttributeVector pub = AttributeVector.newECPublicKey()
                    .token(true)
                    .private_(false)
                    .verify(true)
                    .id(id)
                    .label(label)
                    .ecParams(EcKeys.P256_PARAMS)
                    .ecPoint(EcKeys.ecPointOctetString(ecPub));
            long privHandle = s.createObject(priv); // C_CreateObject (private key)
            try {
                s.createObject(pub); // C_CreateObject (public key)
            } catch (PKCS11Exception e) {
                s.destroyObject(privHandle); // C_DestroyObject: no half-imported key is left behind
                throw e;
            }
            return new TokenKey(id, label, KeyAlgorithm.EC_P256, publicKey);
        });
    }

    /** A Custody private key's protection: private, sensitive, never extractable, for signing only. */
    private static AttributeVector custodyPrivateKey(AttributeVector a) {
        return a.private_(true)
                .sensitive(true)
                .extractable(false)
                .sign(true)
                .decrypt(false)
                .derive(false)
                .unwrap(false);
    }

    private void requireNoKey(byte[] id) throws TokenException {
        if (findKey(id).isPresent()) {
            throw new TokenException(
                    TokenErrorCode.BAD_INPUT,
                    "a key with id " + XipkiKeyLookup.hex(id) + " already exists on token " + name);
        }
    }

    @Override
    public List<TokenKey> listKeys() throws TokenException {
        return withSession("C_FindObjects", s -> {
            List<TokenKey> out = new ArrayList<>();
            for (long h : s.findAllObjectsSingle(AttributeVector.newPrivateKey())) { // C_FindObjects*
                AttributeVector a = s.getAttrValues(
                        h, PKCS11Constants.CKA_ID, PKCS11Constants.CKA_LABEL, PKCS11Constants.CKA_KEY_TYPE);
                byte[] id = a.id();
                if (id == null) {
                    continue;
                }
                keys.toTokenKey(s, id, a.label(), a.keyType()).ifPresent(out::add);
            }
            return out;
        });
    }

    @Override
    public Optional<TokenKey> findKey(byte[] id) throws TokenException {
        return withSession("C_FindObjects", s -> {
            long[] h = s.findObjectsSingle(AttributeVector.newPrivateKey().id(id), 2);
            if (h.length == 0) {
                return Optional.<TokenKey>empty();
            }
            AttributeVector a = s.getAttrValues(h[0], PKCS11Constants.CKA_LABEL, PKCS11Constants.CKA_KEY_TYPE);
            return keys.toTokenKey(s, id, a.label(), a.keyType());
        });
    }

    @Override
    public TokenKey changeKeyId(byte[] oldId, byte[] newId) throws TokenException {
        withSession("C_SetAttributeValue", s -> {
            long[] priv = keys.privateHandlesToChange(s, currentOrNull(), oldId);
            for (long h : priv) {
                s.setAttributeValues(h, new AttributeVector().id(newId)); // C_SetAttributeValue
            }
            for (long h : s.findAllObjectsSingle(AttributeVector.newPublicKey().id(oldId))) {
                s.setAttributeValues(h, new AttributeVector().id(newId)); // C_SetAttributeValue
            }
            return null;
        });
        return findKey(newId).orElseThrow(() -> new KeyNotFoundException(name, XipkiKeyLookup.hex(newId)));
    }

    @Override
    public void deleteKey(byte[] id) throws TokenException {
        withSession("C_DestroyObject", s -> {
            long[] priv = keys.privateHandlesToChange(s, currentOrNull(), id);
            for (long h : priv) {
                s.destroyObject(h); // C_DestroyObject
            }
            for (long h : s.findAllObjectsSingle(AttributeVector.newPublicKey().id(id))) {
                s.destroyObject(h);
            }
            return null;
        });
    }

    @Override
    public PrivateKeyAttributes privateKeyAttributes(byte[] keyId) throws TokenException {
        return withSession("C_GetAttributeValue", s -> {
            long h = keys.privateHandle(s, keyId);
            AttributeVector a = s.getAttrValues(
                    h,
                    PKCS11Constants.CKA_TOKEN,
                    PKCS11Constants.CKA_PRIVATE,
                    PKCS11Constants.CKA_SENSITIVE,
                    PKCS11Constants.CKA_EXTRACTABLE,
                    PKCS11Constants.CKA_ALWAYS_SENSITIVE,
                    PKCS11Constants.CKA_NEVER_EXTRACTABLE,
                    PKCS11Constants.CKA_SIGN);
            return new PrivateKeyAttributes(
                    t(a.token()),
                    t(a.private_()),
                    t(a.sensitive()),
                    t(a.extractable()),
                    t(a.alwaysSensitive()),
                    t(a.neverExtractable()),
                    t(a.sign()));
        });
    }

    private static boolean t(Boolean b) {
        return Boolean.TRUE.equals(b);
    }

    // ---- signing ----------------------------------------------------------------------------------

    @Override
    public byte[] sign(byte[] keyId, byte[] message, SignatureFormat format) throws TokenException {
        return signInternal(keyId, message, false, format);
    }

    @Override
    public byte[] signDigest(byte[] keyId, byte[] sha256, SignatureFormat format) throws TokenException {
        if (sha256.length != 32) {
            throw new TokenException(TokenErrorCode.BAD_INPUT, "a SHA-256 digest is 32 bytes, got " + sha256.length);
        }
        return signInternal(keyId, sha256, true, format);
    }

    /** All messages on one pooled session, one C_SignInit + C_Sign each (a batch is not interleaved). */
    @Override
    public List<byte[]> signAll(byte[] keyId, List<byte[]> messages, SignatureFormat format) throws TokenException {
        return withSession("C_Sign", s -> {
            Generation g = currentOrNull();
            List<byte[]> out = new ArrayList<>(messages.size());
            for (byte[] m : messages) {
                out.add(signOn(s, g, keyId, m, false, format));
            }
            return out;
        });
    }

    private byte[] signInternal(byte[] keyId, byte[] data, boolean isDigest, SignatureFormat format)
            throws TokenException {
        return withSession("C_Sign", s -> signOn(s, currentOrNull(), keyId, data, isDigest, format));
    }

    private byte[] signOn(Session s, Generation g, byte[] keyId, byte[] data, boolean isDigest, SignatureFormat format)
            throws PKCS11Exception, TokenException {
        for (int attempt = 0; ; attempt++) {
            long[] hk = keys.cachedKey(g, s, keyId);
            try {
                if (hk[1] == PKCS11Constants.CKK_EC_EDWARDS) {
                    if (isDigest) {
                        throw new TokenException(TokenErrorCode.BAD_INPUT, "Ed25519 signs the message, not a digest");
                    }
                    return signOnce(s, PKCS11Constants.CKM_EDDSA, hk[0], data);
                }
                byte[] digest = isDigest ? data : sha256(data);
                byte[] raw = signOnce(s, PKCS11Constants.CKM_ECDSA, hk[0], digest);
                return format == SignatureFormat.DER ? EcKeys.rawToDer(raw) : raw;
            } catch (PKCS11Exception e) {
                long ckr = e.getErrorCode();
                boolean staleHandle =
                        ckr == CkrConverter.CKR_KEY_HANDLE_INVALID || ckr == CkrConverter.CKR_OBJECT_HANDLE_INVALID;
                if (g != null) {
                    g.keyHandles.remove(XipkiKeyLookup.hex(keyId));
                }
                if (!staleHandle || attempt > 0) {
                    throw e;
                }
                // the key was deleted and maybe re-created by another handle: look it up again
            }
        }
    }

    /** C_SignInit + C_Sign: one C_Sign through the JDK's wrapper when it is there ({@link DirectSign}). */
    private byte[] signOnce(Session s, long mechanism, long key, byte[] data) throws PKCS11Exception {
        Optional<DirectSign> direct = backend.directSign();
        if (direct.isPresent()) {
            return direct.get().sign(s.getSessionHandle(), mechanism, key, data);
        }
        return s.signSingle(new Mechanism(mechanism), key, data); // ipkcs11wrapper: a length query, then C_Sign
    }

    private Generation currentOrNull() {
        return current;
    }

    /** One SHA-256 instance per signing thread: MessageDigest.getInstance costs more than hashing a metadata file. */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    });

    private static byte[] sha256(byte[] data) {
        return SHA256.get().digest(data); // digest() resets the instance
    }

    private static void checkId(byte[] id, String label) throws TokenException {
        if (id == null || id.length == 0 || id.length > 64) {
            throw new TokenException(TokenErrorCode.BAD_INPUT, "a key id (CKA_ID) must be 1..64 bytes");
        }
        if (label == null || label.isEmpty() || label.length() > 128) {
            throw new TokenException(TokenErrorCode.BAD_INPUT, "a key label (CKA_LABEL) must be 1..128 characters");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Generation g;
        synchronized (lock) {
            g = current;
            current = null;
        }
        if (g != null) {
            g.dead = true;
            g.closeIdle();
        }
        backend.forget(this);
    }

    @Override
    public String toString() {
        return "XipkiToken[" + name + "]";
    }
}
