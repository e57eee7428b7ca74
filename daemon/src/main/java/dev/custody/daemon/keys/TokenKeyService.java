package dev.custody.daemon.keys;

import dev.custody.daemon.audit.AuditLog;
import dev.custody.daemon.rpc.Incidents;
import dev.custody.pkcs11.HsmToken;
import dev.custody.pkcs11.KeyAlgorithm;
import dev.custody.pkcs11.PrivateKeyAttributes;
import dev.custody.pkcs11.SignatureFormat;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenKey;
import dev.custody.pkcs11.UnsupportedByBackendException;
import dev.custody.pkcs11.yubikey.PivSlot;
import dev.custody.pkcs11.yubikey.YubikeyToken;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.ConflictException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.NotFoundException;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.sign.Signer;
import dev.custody.tuf.sign.SignerFactory;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Keys on tokens, recorded in the {@link KeyInventory}: generation and import (non-extractable, on
 * the token), adoption of keys already on a token ({@link #scan}, {@link #adopt}), removal, and
 * signing. Implements {@link KeyService} for repository operations.
 *
 * <p>A key's CKA_ID on the token is its TUF key ID (the 32 bytes of the hex ID) and its CKA_LABEL is
 * {@code <gun>/<role>} (or the role alone). A generated key's public key, and so its ID, is known only
 * after C_GenerateKeyPair: it is generated under a random CKA_ID and then given its TUF ID
 * (C_SetAttributeValue); a token that refuses keeps the random ID, which the inventory records. On a
 * {@code profile: yubikey} token the CKA_ID is the PIV slot's fixed one ({@link PivSlot#ckaId()}), and
 * an occupied slot is never generated into.
 *
 * <p>Audit: signatures through {@link #findSigner} signers and keys made through
 * {@link #signerFactory} get their own audit line (caller = the daemon; key ID, token serial, role,
 * GUN). Socket methods are audited by the dispatch hook, which records the same facts from the
 * method's action and result, so their work here is not audited a second time.
 */
public final class TokenKeyService implements KeyService {
    private static final System.Logger LOG = System.getLogger(TokenKeyService.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();

    private final TokenManager tokens;
    private final KeyInventory inventory;
    private final AuditLog audit;
    private final Clock clock;
    private final KeyEvents events;
    private final PivSlots slots;

    public TokenKeyService(TokenManager tokens, KeyInventory inventory, AuditLog audit, Clock clock) {
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.inventory = Objects.requireNonNull(inventory, "inventory");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.events = new KeyEvents(audit);
        this.slots = new PivSlots(inventory);
    }

    public KeyInventory inventory() {
        return inventory;
    }

    public TokenManager tokens() {
        return tokens;
    }

    /** The TUF key type of a token key algorithm: {@code ecdsa} or {@code ed25519}. */
    static String keyType(KeyAlgorithm a) {
        return a == KeyAlgorithm.ED25519 ? "ed25519" : "ecdsa";
    }

    static String label(String role, String gun) {
        return gun == null ? role : gun + "/" + role;
    }

    /** Generates a key on {@code token} (C_GenerateKeyPair) and records it; on a YubiKey in the first empty slot. */
    public KeyInventory.Entry generate(ManagedToken token, String role, String gun, KeyAlgorithm algorithm)
            throws CustodyException {
        return generate(token, role, gun, algorithm, null);
    }

    /**
     * Generates a key on {@code token} and records it. {@code slot} ({@code 9a}, {@code 9c}, {@code 9d},
     * {@code 9e}, {@code 82}..{@code 95}) is for {@code profile: yubikey} tokens only; null there means
     * the first empty slot of {@link PivSlots#SLOT_ORDER}.
     *
     * @throws BadRequestException for a slot on another token or a malformed slot
     * @throws ConflictException for an occupied slot: a YubiKey overwrites without a trace, so Custody never does
     */
    public KeyInventory.Entry generate(ManagedToken token, String role, String gun, KeyAlgorithm algorithm, String slot)
            throws CustodyException {
        if (token.config().isYubikey()) {
            return generateOnYubikey(token, role, gun, algorithm, slot);
        }
        PivSlots.requireNoSlot(token, slot);
        HsmToken t = tokens.ready(token);
        String label = label(role, gun);
        byte[] provisional = new byte[16];
        RANDOM.nextBytes(provisional);
        TokenKey k;
        try {
            k = t.generateKeyPair(algorithm, provisional, label);
        } catch (TokenException e) {
            throw TokenErrors.toCustody(token.name(), e);
        }
        TufKey tuf = PublicKeys.toTufKey(k.publicKey());
        String keyId = tuf.id();
        byte[] ckaId = provisional;
        try {
            k = t.changeKeyId(provisional, HexFormat.of().parseHex(keyId));
            ckaId = k.id();
        } catch (UnsupportedByBackendException e) {
            LOG.log(
                    Level.INFO,
                    "token " + token.name() + " keeps CKA_ID " + HexFormat.of().formatHex(provisional) + " for key "
                            + keyId + ": " + e.getMessage());
        } catch (TokenException e) {
            LOG.log(
                    Level.WARNING,
                    "token " + token.name() + ": cannot set CKA_ID of key " + keyId + " (" + e.getMessage()
                            + "); it keeps CKA_ID " + HexFormat.of().formatHex(provisional));
        }
        return record(token, keyId, ckaId, label, role, gun, algorithm, k.publicKey());
    }

    /** GENERATE ASYMMETRIC into an empty PIV slot (management key login); the key's CKA_ID is the slot's. */
    private KeyInventory.Entry generateOnYubikey(
            ManagedToken token, String role, String gun, KeyAlgorithm algorithm, String slotSpec)
            throws CustodyException {
        if (algorithm != KeyAlgorithm.EC_P256) {
            throw new BadRequestException(
                    "token " + token.name() + " is a YubiKey: it holds ecdsa (P-256) keys only", "params.algorithm");
        }
        YubikeyToken yk = tokens.yubikey(token);
        PivSlot slot = slots.choose(token, yk, slotSpec);
        TokenKey k;
        try {
            k = yk.generate(slot, algorithm); // C_Login(CKU_SO) with the management key, C_GenerateKeyPair
        } catch (TokenException e) {
            throw TokenErrors.toCustody(token.name(), e);
        }
        String keyId = PublicKeys.toTufKey(k.publicKey()).id();
        return record(token, keyId, slot.ckaId(), k.label(), role, gun, algorithm, k.publicKey());
    }

    /** The PIV slot of a key on a {@code profile: yubikey} token, from its CKA_ID; empty for other tokens. */
    Optional<PivSlot> slotOf(KeyInventory.Entry e) {
        return tokens.findByName(e.tokenName())
                .filter(t -> t.config().isYubikey())
                .flatMap(t -> PivSlot.findByCkaId(e.ckaIdBytes()));
    }

    /**
     * Puts a software private key on {@code token} (C_CreateObject, CKA_SENSITIVE, not extractable)
     * under its TUF key ID, and records it. The caller still holds the software copy.
     */
    public KeyInventory.Entry importKey(
            ManagedToken token, PrivateKey privateKey, PublicKey publicKey, String role, String gun)
            throws CustodyException {
        return importKey(token, privateKey, publicKey, role, gun, null);
    }

    /**
     * {@link #importKey(ManagedToken, PrivateKey, PublicKey, String, String)} with a PIV slot for
     * {@code profile: yubikey} tokens ({@code 9a}, {@code 9c}, … as for key.generate; null: the first empty
     * slot of {@link PivSlots#SLOT_ORDER}). An occupied slot is a CONFLICT, never overwritten. YubiKeys take EC
     * P-256 keys only (Ed25519: the token refuses it, CONFLICT).
     */
    public KeyInventory.Entry importKey(
            ManagedToken token, PrivateKey privateKey, PublicKey publicKey, String role, String gun, String slotSpec)
            throws CustodyException {
        String keyId = PublicKeys.toTufKey(publicKey).id();
        if (inventory.find(keyId).isPresent()) {
            throw new ConflictException(
                    gun,
                    "key " + keyId + " is already on token "
                            + inventory.find(keyId).get().tokenName() + "; nothing imported");
        }
        if (token.config().isYubikey()) {
            return importOnYubikey(token, privateKey, publicKey, keyId, role, gun, slotSpec);
        }
        PivSlots.requireNoSlot(token, slotSpec);
        HsmToken t = tokens.ready(token);
        String label = label(role, gun);
        byte[] ckaId = HexFormat.of().parseHex(keyId);
        TokenKey k;
        try {
            k = t.importPrivateKey(privateKey, publicKey, ckaId, label);
        } catch (TokenException e) {
            throw TokenErrors.toCustody(token.name(), e);
        }
        return record(token, keyId, k.id(), label, role, gun, k.algorithm(), k.publicKey());
    }

    /** IMPORT ASYMMETRIC KEY into an empty PIV slot (management key login); the key's CKA_ID is the slot's. */
    private KeyInventory.Entry importOnYubikey(
            ManagedToken token,
            PrivateKey privateKey,
            PublicKey publicKey,
            String keyId,
            String role,
            String gun,
            String slotSpec)
            throws CustodyException {
        YubikeyToken yk = tokens.yubikey(token);
        PivSlot slot = slots.choose(token, yk, slotSpec);
        TokenKey k;
        try {
            k = yk.importKey(slot, privateKey, publicKey); // C_Login(CKU_SO), C_CreateObject key + certificate
        } catch (TokenException e) {
            throw TokenErrors.toCustody(token.name(), e);
        }
        return record(token, keyId, slot.ckaId(), k.label(), role, gun, k.algorithm(), k.publicKey());
    }

    /**
     * A private key found on a token by {@link #scan}: its token object (CKA_ID, CKA_LABEL, public key),
     * the TUF key ID it has (of the bare public key), its protection attributes, and the inventory entry
     * when this daemon already knows the key.
     */
    public record ScannedKey(
            TokenKey key, String keyId, PrivateKeyAttributes attributes, Optional<KeyInventory.Entry> known) {}

    /**
     * Every ECDSA P-256 / Ed25519 private key on {@code token} that has its public key object
     * (C_FindObjects, C_GetAttributeValue), whether this daemon made it or not. Nothing is changed.
     */
    public List<ScannedKey> scan(ManagedToken token) throws CustodyException {
        HsmToken t = tokens.ready(token);
        List<ScannedKey> out = new java.util.ArrayList<>();
        try {
            for (TokenKey k : t.listKeys()) {
                String keyId = PublicKeys.toTufKey(k.publicKey()).id();
                out.add(new ScannedKey(k, keyId, t.privateKeyAttributes(k.id()), inventory.find(keyId)));
            }
        } catch (TokenException e) {
            throw TokenErrors.toCustody(token.name(), e);
        }
        return out;
    }

    /**
     * Enrols a key that is already on {@code token} (made by another custodyd, a ceremony elsewhere, or
     * pkcs11-tool) into the inventory for {@code role}/{@code gun}, found by its TUF key ID or its CKA_ID.
     * Nothing is written to the token: the key keeps its CKA_ID and CKA_LABEL. Refused when the key is
     * already recorded, or when its private key could leave the token (not CKA_SENSITIVE, or CKA_EXTRACTABLE).
     *
     * @param keyId the TUF key ID (hex), or null
     * @param ckaId the CKA_ID (hex), or null; exactly one of the two is given
     */
    public KeyInventory.Entry adopt(ManagedToken token, String keyId, String ckaId, String role, String gun)
            throws CustodyException {
        String wanted =
                keyId != null ? keyId.toLowerCase(java.util.Locale.ROOT) : ckaId.toLowerCase(java.util.Locale.ROOT);
        List<ScannedKey> hits = scan(token).stream()
                .filter(s -> keyId != null
                        ? s.keyId().equals(wanted)
                        : s.key().idHex().equals(wanted))
                .toList();
        String what = (keyId != null ? "key ID " : "CKA_ID ") + wanted;
        if (hits.isEmpty()) {
            throw new NotFoundException(
                    "key",
                    wanted,
                    "token " + token.name() + " holds no ECDSA P-256 or Ed25519 private"
                            + " key with " + what + " and a matching public key object (`custody key scan --token "
                            + token.name()
                            + "` lists them)");
        }
        if (hits.size() > 1) {
            throw new dev.custody.protocol.BadRequestException(
                    "token " + token.name() + " holds " + hits.size() + " keys with " + what
                            + ": adopt by keyId instead",
                    "params.ckaId");
        }
        ScannedKey s = hits.get(0);
        if (s.known().isPresent()) {
            KeyInventory.Entry e = s.known().get();
            throw new ConflictException(
                    gun,
                    "key " + s.keyId() + " is already in the inventory (token " + e.tokenName() + ", role " + e.role()
                            + (e.gun() == null ? "" : ", " + e.gun()) + "); nothing adopted");
        }
        PrivateKeyAttributes a = s.attributes();
        if (!a.custodyCompliant()) {
            throw new ConflictException(
                    gun,
                    "key " + s.keyId() + " on token " + token.name() + " is not protected as"
                            + " custody requires (CKA_TOKEN=" + a.token() + ", CKA_PRIVATE=" + a.isPrivate()
                            + ", CKA_SENSITIVE="
                            + a.sensitive() + ", CKA_EXTRACTABLE=" + a.extractable()
                            + "): its private key could be read off the"
                            + " token, so it is not adopted; generate a new key on the token instead");
        }
        TokenKey k = s.key();
        return record(token, s.keyId(), k.id(), k.label(), role, gun, k.algorithm(), k.publicKey());
    }

    private KeyInventory.Entry record(
            ManagedToken token,
            String keyId,
            byte[] ckaId,
            String label,
            String role,
            String gun,
            KeyAlgorithm algorithm,
            PublicKey publicKey)
            throws CustodyException {
        String serial = token.lastInfo().map(i -> i.serial()).orElse(null);
        KeyInventory.Entry e = new KeyInventory.Entry(
                keyId,
                token.name(),
                serial,
                HexFormat.of().formatHex(ckaId),
                label,
                role,
                gun,
                keyType(algorithm),
                Base64.getEncoder().encodeToString(publicKey.getEncoded()),
                clock.instant().toString());
        try {
            inventory.put(e);
        } catch (IOException ex) {
            throw Incidents.internal(
                    "key " + keyId + " is on token " + token.name() + " but the inventory " + inventory.file()
                            + " could not be written: " + ex.getMessage(),
                    ex);
        }
        return e;
    }

    /** Deletes a key from its token (C_DestroyObject) and from the inventory. */
    public KeyInventory.Entry remove(String keyId) throws CustodyException {
        KeyInventory.Entry e = entry(keyId);
        ManagedToken token = tokenOf(e);
        HsmToken t = tokens.ready(token);
        try {
            t.deleteKey(e.ckaIdBytes());
        } catch (TokenException ex) {
            if (ex.code() != dev.custody.pkcs11.TokenErrorCode.KEY_NOT_FOUND) {
                throw TokenErrors.toCustody(token.name(), ex);
            }
            LOG.log(
                    Level.WARNING,
                    "key " + keyId + " was already gone from token " + token.name()
                            + "; removing it from the inventory");
        }
        try {
            inventory.remove(keyId);
        } catch (IOException ex) {
            throw Incidents.internal(
                    "key " + keyId + " was deleted from token " + token.name() + " but the inventory "
                            + inventory.file() + " could not be written: " + ex.getMessage(),
                    ex);
        }
        return e;
    }

    /**
     * Signs {@code message} with a recorded key, on its token; TUF format (raw r‖s for ECDSA). On a
     * YubiKey that waits for a touch, the caller of the current socket call is told so
     * ({@link TouchNotice}) before this returns.
     */
    public byte[] sign(KeyInventory.Entry e, byte[] message) throws CustodyException {
        return onToken(e, t -> t.sign(e.ckaIdBytes(), message, SignatureFormat.RAW));
    }

    /**
     * Signs a SHA-256 digest the caller computed with a recorded ECDSA key (raw r‖s), on its token; touch
     * notices as {@link #sign}. For the PKCS#11 front door's {@code CKM_ECDSA}.
     */
    public byte[] signDigest(KeyInventory.Entry e, byte[] sha256) throws CustodyException {
        return onToken(e, t -> t.signDigest(e.ckaIdBytes(), sha256, SignatureFormat.RAW));
    }

    /**
     * Signs several messages with one recorded key, in order, on one token session ({@code sign.batch});
     * the first token failure fails the whole batch. A YubiKey that waits for a touch notifies as
     * {@link #sign} does.
     */
    public List<byte[]> signAll(KeyInventory.Entry e, List<byte[]> messages) throws CustodyException {
        return onToken(e, t -> t.signAll(e.ckaIdBytes(), messages, SignatureFormat.RAW));
    }

    /** One signing call on the token of {@code e}: touch notice watched, token errors converted once. */
    private <T> T onToken(KeyInventory.Entry e, TokenCall<T> call) throws CustodyException {
        ManagedToken token = tokenOf(e);
        HsmToken t = tokens.ready(token);
        TouchNotice notice = new TouchNotice(audit, token, e);
        try (ManagedToken.TouchWatch w = token.watchTouch(notice)) {
            return call.on(t);
        } catch (TokenException ex) {
            throw TokenErrors.toCustody(token.name(), ex);
        } finally {
            notice.finished();
        }
    }

    @FunctionalInterface
    private interface TokenCall<T> {
        T on(HsmToken token) throws TokenException;
    }

    KeyInventory.Entry entry(String keyId) throws NotFoundException {
        return inventory
                .find(keyId)
                .orElseThrow(() -> new NotFoundException(
                        "key",
                        keyId,
                        "key " + keyId + " is not in the key inventory (`custody key list` shows the keys)"));
    }

    ManagedToken tokenOf(KeyInventory.Entry e) throws NotFoundException {
        return tokens.findByName(e.tokenName())
                .orElseThrow(() -> new NotFoundException(
                        "token",
                        e.tokenName(),
                        "key " + e.keyId() + " lives on token '" + e.tokenName() + "', which is no longer configured"));
    }

    // ---- KeyService --------------------------------------------------------------------------

    @Override
    public Optional<Signer> findSigner(String keyId) {
        return inventory.find(keyId).map(e -> new InventorySigner(this, events, e));
    }

    @Override
    public Optional<KeyRecord> findKey(String keyId) {
        return inventory
                .find(keyId)
                .map(e ->
                        new KeyRecord(e.keyId(), e.role(), e.findGun(), e.algorithm(), e.tokenName(), e.tokenSerial()));
    }

    @Override
    public SignerFactory signerFactory(Optional<String> tokenName) {
        return (gun, role) -> {
            KeyInventory.Entry e;
            try {
                ManagedToken token = tokens.get(tokenName.orElse(null));
                e = generate(token, role, gun, KeyAlgorithm.EC_P256);
            } catch (CustodyException ex) {
                events.record("key.generate", null, role, gun, null, ex.code().name(), ex.getMessage());
                throw new KeySigningException("(new " + role + " key)", ex);
            }
            events.record("key.generate", e.keyId(), role, gun, e, "ok", null);
            return new InventorySigner(this, events, e);
        };
    }

    @Override
    public List<KeyRecord> allKeys() {
        return inventory.all().stream()
                .map(e ->
                        new KeyRecord(e.keyId(), e.role(), e.findGun(), e.algorithm(), e.tokenName(), e.tokenSerial()))
                .toList();
    }

    @Override
    public List<KeyRecord> keysFor(String gun) {
        return inventory.all().stream()
                .filter(e -> gun.equals(e.gun()))
                .map(e ->
                        new KeyRecord(e.keyId(), e.role(), e.findGun(), e.algorithm(), e.tokenName(), e.tokenSerial()))
                .toList();
    }

    @Override
    public void assign(String keyId, String role, String gun) throws IOException {
        KeyInventory.Entry e = inventory
                .find(keyId)
                .orElseThrow(() -> new IOException("key " + keyId + " is not in the key inventory"));
        KeyInventory.Entry updated = e.withAssignment(role, gun);
        inventory.put(updated);
        events.record("key.assign", keyId, role, gun, updated, "ok", null);
    }
}
