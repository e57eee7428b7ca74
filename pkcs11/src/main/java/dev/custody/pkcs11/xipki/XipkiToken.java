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
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.KeyPairTemplate;
import org.xipki.pkcs11.wrapper.Mechanism;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.PKCS11KeyPair;
import org.xipki.pkcs11.wrapper.Session;
import org.xipki.pkcs11.wrapper.Slot;
import org.xipki.pkcs11.wrapper.Token;

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
    /**
     * Sessions per token at most ({@code -Dcustody.pkcs11.sessions}, default 16): signatures on one token
     * run concurrently, one per session. Capped by what the token says it allows
     * ({@code ulMaxRwSessionCount}, less one for other applications), see {@link #poolSize}.
     */
    static final int POOL_SIZE = Integer.getInteger("custody.pkcs11.sessions", 16);

    private static final long BORROW_TIMEOUT_SECONDS = 60;

    private final XipkiBackend backend;
    private final TokenSelector selector;
    private final PinSource pins;
    private final String name;

    private final Object lock = new Object();
    /** Current connection, or null while disconnected. Written under {@link #lock}; read without it on the sign path. */
    private volatile Generation current;

    private long generationCounter;
    /** A successful login() happened and no wrong PIN since: re-login automatically after re-insert. */
    private volatile boolean wantLogin;

    private volatile boolean closed;

    private static final class Generation {
        final long number;
        final Slot slot;
        final Token token;
        final int poolSize;
        final BlockingQueue<Session> idle;
        final java.util.concurrent.Semaphore permits;
        volatile boolean loggedIn;
        volatile boolean dead;
        /** CKA_ID (hex) → private key handle and type; handles are valid for this connection only. */
        final java.util.concurrent.ConcurrentHashMap<String, long[]> keyHandles =
                new java.util.concurrent.ConcurrentHashMap<>();

        Generation(long number, Slot slot) {
            this.number = number;
            this.slot = slot;
            this.token = slot.getToken();
            this.poolSize = poolSize(token);
            this.idle = new ArrayBlockingQueue<>(poolSize);
            this.permits = new java.util.concurrent.Semaphore(poolSize, true);
        }
    }

    /**
     * The session pool's size for this token: {@link #POOL_SIZE}, but no more than the token's
     * {@code ulMaxRwSessionCount} less one (another application may need one), when it gives a number
     * (not CK_UNAVAILABLE_INFORMATION or CK_EFFECTIVELY_INFINITE).
     */
    static int poolSize(Token token) {
        long max;
        try {
            max = token.getTokenInfo().getMaxRwSessionCount(); // C_GetTokenInfo
        } catch (PKCS11Exception | RuntimeException e) {
            return POOL_SIZE;
        }
        return poolSize(POOL_SIZE, max);
    }

    static int poolSize(int configured, long maxRwSessions) {
        if (maxRwSessions <= 0 || maxRwSessions >= 0xFFFFFFFFL || maxRwSessions == Long.MAX_VALUE) {
            return Math.max(1, configured); // 0 = CK_EFFECTIVELY_INFINITE, ~0 = CK_UNAVAILABLE_INFORMATION
        }
        return (int) Math.max(1, Math.min(configured, maxRwSessions - 1));
    }

    @FunctionalInterface
    private interface SessionOp<T> {
        T apply(Session s) throws PKCS11Exception, TokenException;
    }

    XipkiToken(XipkiBackend backend, TokenSelector selector, TokenInfo info, PinSource pins) {
        this.backend = backend;
        this.selector = selector;
        this.pins = pins;
        this.name = info.label().isEmpty() ? selector.toString() : info.displayName();
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
        Session s;
        while ((s = g.idle.poll()) != null) {
            closeQuietly(s);
        }
    }

    private Session borrow(Generation g) throws TokenException, PKCS11Exception {
        try {
            if (!g.permits.tryAcquire(BORROW_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new TokenException(
                        TokenErrorCode.TOKEN_ERROR,
                        "no free session on token " + name + " after " + BORROW_TIMEOUT_SECONDS + " s (pool of "
                                + g.poolSize + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TokenException(TokenErrorCode.TOKEN_ERROR, "interrupted waiting for a session on " + name);
        }
        Session s = g.idle.poll();
        if (s != null) {
            return s;
        }
        try {
            return g.token.openSession(true); // C_OpenSession(CKF_SERIAL_SESSION | CKF_RW_SESSION)
        } catch (PKCS11Exception | RuntimeException e) {
            g.permits.release();
            throw e;
        }
    }

    private void giveBack(Generation g, Session s, boolean discard) {
        if (discard || g.dead || closed || !g.idle.offer(s)) {
            closeQuietly(s);
        }
        g.permits.release();
    }

    private static void closeQuietly(Session s) {
        try {
            s.closeSession(); // C_CloseSession
        } catch (PKCS11Exception | RuntimeException e) {
            // the session is already gone (token removed); nothing to release
        }
    }

    /** Runs an operation on a pooled session; after a removal error, reconnects and tries once more. */
    private <T> T withSession(String function, SessionOp<T> op) throws TokenException {
        for (int attempt = 0; ; attempt++) {
            Generation g = connected();
            Session s;
            try {
                s = borrow(g);
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
                giveBack(g, s, discard);
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
            s = borrow(g);
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
                giveBack(g, s, false);
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
        if (findKey(id).isPresent()) {
            throw new TokenException(
                    TokenErrorCode.BAD_INPUT, "a key with id " + hex(id) + " already exists on token " + name);
        }
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
            t.privateKey()
                    .private_(true)
                    .sensitive(true)
                    .extractable(false)
                    .sign(true)
                    .decrypt(false)
                    .derive(false)
                    .unwrap(false);
            t.publicKey()
                    .private_(false)
                    .verify(true)
                    .ecParams(algorithm == KeyAlgorithm.EC_P256 ? EcKeys.P256_PARAMS : EcKeys.ED25519_PARAMS);
            PKCS11KeyPair kp = s.generateKeyPair(new Mechanism(mech), t); // C_GenerateKeyPair
            byte[] point = s.getAttrValues(kp.getPublicKey(), PKCS11Constants.CKA_EC_POINT)
                    .ecPoint();
            return new TokenKey(id, label, algorithm, publicKeyFrom(algorithm, point));
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
        if (findKey(id).isPresent()) {
            throw new TokenException(
                    TokenErrorCode.BAD_INPUT, "a key with id " + hex(id) + " already exists on token " + name);
        }
        return withSession("C_CreateObject", s -> {
            AttributeVector priv = AttributeVector.newECPrivateKey()
                    .token(true)
                    .private_(true)
                    .sensitive(true)
                    .extractable(false)
                    .sign(true)
                    .decrypt(false)
                    .derive(false)
                    .unwrap(false)
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
                toTokenKey(s, id, a.label(), a.keyType()).ifPresent(out::add);
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
            return toTokenKey(s, id, a.label(), a.keyType());
        });
    }

    private Optional<TokenKey> toTokenKey(Session s, byte[] id, String label, Long keyType)
            throws PKCS11Exception, TokenException {
        KeyAlgorithm alg;
        if (keyType == null) {
            return Optional.empty();
        } else if (keyType == PKCS11Constants.CKK_EC) {
            alg = KeyAlgorithm.EC_P256;
        } else if (keyType == PKCS11Constants.CKK_EC_EDWARDS) {
            alg = KeyAlgorithm.ED25519;
        } else {
            return Optional.empty(); // RSA and others are not Custody keys
        }
        long[] pub = s.findObjectsSingle(AttributeVector.newPublicKey().id(id), 1);
        if (pub.length == 0) {
            return Optional.empty();
        }
        AttributeVector pa = s.getAttrValues(pub[0], PKCS11Constants.CKA_EC_POINT, PKCS11Constants.CKA_EC_PARAMS);
        if (alg == KeyAlgorithm.EC_P256 && !java.util.Arrays.equals(pa.ecParams(), EcKeys.P256_PARAMS)) {
            return Optional.empty(); // other curves are not Custody keys
        }
        return Optional.of(new TokenKey(id, label == null ? "" : label, alg, publicKeyFrom(alg, pa.ecPoint())));
    }

    private PublicKey publicKeyFrom(KeyAlgorithm alg, byte[] point) throws TokenException {
        try {
            return alg == KeyAlgorithm.EC_P256 ? EcKeys.p256FromEcPoint(point) : EcKeys.ed25519FromEcPoint(point);
        } catch (GeneralSecurityException e) {
            throw new TokenException(
                    TokenErrorCode.TOKEN_ERROR,
                    "token " + name + " returned a public key" + " that cannot be decoded: " + e.getMessage(),
                    null,
                    null,
                    e);
        }
    }

    @Override
    public TokenKey changeKeyId(byte[] oldId, byte[] newId) throws TokenException {
        withSession("C_SetAttributeValue", s -> {
            long[] priv = s.findAllObjectsSingle(AttributeVector.newPrivateKey().id(oldId));
            if (priv.length == 0) {
                throw new KeyNotFoundException(name, hex(oldId));
            }
            Generation g = currentOrNull();
            if (g != null) {
                g.keyHandles.remove(hex(oldId));
            }
            for (long h : priv) {
                s.setAttributeValues(h, new AttributeVector().id(newId)); // C_SetAttributeValue
            }
            for (long h : s.findAllObjectsSingle(AttributeVector.newPublicKey().id(oldId))) {
                s.setAttributeValues(h, new AttributeVector().id(newId)); // C_SetAttributeValue
            }
            return null;
        });
        return findKey(newId).orElseThrow(() -> new KeyNotFoundException(name, hex(newId)));
    }

    @Override
    public void deleteKey(byte[] id) throws TokenException {
        withSession("C_DestroyObject", s -> {
            long[] priv = s.findAllObjectsSingle(AttributeVector.newPrivateKey().id(id));
            if (priv.length == 0) {
                throw new KeyNotFoundException(name, hex(id));
            }
            Generation g = currentOrNull();
            if (g != null) {
                g.keyHandles.remove(hex(id));
            }
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
            long h = privateHandle(s, keyId);
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

    private long privateHandle(Session s, byte[] id) throws PKCS11Exception, TokenException {
        long[] h = s.findObjectsSingle(AttributeVector.newPrivateKey().id(id), 2);
        if (h.length == 0) {
            throw new KeyNotFoundException(name, hex(id));
        }
        if (h.length > 1) {
            throw new TokenException(
                    TokenErrorCode.TOKEN_ERROR,
                    "two private keys share id " + hex(id) + " on token " + name + "; remove one");
        }
        return h[0];
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
            long[] hk = cachedKey(g, s, keyId);
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
                    g.keyHandles.remove(hex(keyId));
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

    /** The private key's handle and CKK type, from the per-connection cache or the token. */
    private long[] cachedKey(Generation g, Session s, byte[] keyId) throws PKCS11Exception, TokenException {
        String k = hex(keyId);
        long[] hk = g == null ? null : g.keyHandles.get(k);
        if (hk != null) {
            return hk;
        }
        long h = privateHandle(s, keyId);
        Long keyType = s.getAttrValues(h, PKCS11Constants.CKA_KEY_TYPE).keyType();
        hk = new long[] {h, keyType == null ? PKCS11Constants.CKK_EC : keyType};
        if (g != null) {
            g.keyHandles.put(k, hk);
        }
        return hk;
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

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
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
            Session s;
            while ((s = g.idle.poll()) != null) {
                closeQuietly(s);
            }
        }
        backend.forget(this);
    }

    @Override
    public String toString() {
        return "XipkiToken[" + name + "]";
    }
}
