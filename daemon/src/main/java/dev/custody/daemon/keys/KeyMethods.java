package dev.custody.daemon.keys;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.daemon.DaemonContext;
import dev.custody.daemon.audit.AuditDetails;
import dev.custody.daemon.policy.Action;
import dev.custody.daemon.policy.ActionResolver;
import dev.custody.daemon.policy.Operation;
import dev.custody.daemon.rpc.CallerIdentity;
import dev.custody.daemon.rpc.Params;
import dev.custody.pkcs11.KeyAlgorithm;
import dev.custody.pkcs11.PinSource;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenInfo;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.TokenUnlockResult;
import dev.custody.protocol.results.KeyAdopted;
import dev.custody.protocol.results.KeyEntry;
import dev.custody.protocol.results.KeyList;
import dev.custody.protocol.results.KeyMade;
import dev.custody.protocol.results.KeyRemoved;
import dev.custody.protocol.results.Results;
import dev.custody.protocol.results.ScanResult;
import dev.custody.protocol.results.Signatures;
import dev.custody.protocol.results.TokenList;
import dev.custody.protocol.results.TokenLocked;
import dev.custody.protocol.results.TokenReport;
import java.io.IOException;
import java.io.StringReader;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.util.io.pem.PemHeader;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/**
 * The token and key socket methods ({@code docs/protocol-methods.md}): {@code token.list},
 * {@code token.unlock}, {@code token.lock}, {@code key.list}, {@code key.generate}, {@code key.import},
 * {@code key.scan}, {@code key.adopt}, {@code key.remove}, {@code sign.raw}, {@code sign.batch}.
 *
 * <p>All are guarded by policy and audited by the dispatch hook. {@code key.remove},
 * {@code sign.raw} and {@code sign.batch} (policy operation {@code sign.raw}) resolve their policy action from the key's inventory record (its GUN and role), so
 * a rule can grant {@code sign.raw} for some repositories' keys only. Results that name a key carry
 * {@code keyId} and {@code tokenSerial}, which the audit line records. A PIN travels only in
 * {@code token.unlock}'s params; it is copied to a char array, used for one C_Login, cached by the
 * token (wiped on expiry) and appears in no result, error, log or audit line.
 */
final class KeyMethods {
    private final DaemonContext ctx;
    private final TokenKeyService keys;

    KeyMethods(DaemonContext ctx, TokenKeyService keys) {
        this.ctx = ctx;
        this.keys = keys;
    }

    void register() {
        var m = ctx.methods();
        m.register("token.list", ActionResolver.of(Operation.KEY_LIST), this::tokenList);
        m.register("token.unlock", ActionResolver.of(Operation.TOKEN_UNLOCK), this::tokenUnlock);
        m.register("token.lock", ActionResolver.of(Operation.TOKEN_LOCK), this::tokenLock);
        m.register("key.list", ActionResolver.of(Operation.KEY_LIST), this::keyList);
        m.register("key.generate", ActionResolver.of(Operation.KEY_GENERATE), this::keyGenerate);
        m.register("key.import", this::importAction, this::keyImport);
        m.register("key.scan", ActionResolver.of(Operation.KEY_LIST), this::keyScan);
        m.register(
                "key.adopt",
                p -> new Action(
                        Operation.KEY_IMPORT,
                        ActionResolver.optionalText(p, "gun"),
                        ActionResolver.optionalText(p, "role")),
                this::keyAdopt);
        m.register("key.remove", p -> keyAction(Operation.KEY_REMOVE, p), this::keyRemove);
        m.register("sign.raw", p -> keyAction(Operation.SIGN_RAW, p), this::signRaw);
        m.register("sign.batch", p -> keyAction(Operation.SIGN_RAW, p), this::signBatch);
    }

    // ---- params ---------------------------------------------------------------------------------

    record NoParams() {}

    record TokenParam(String token) {}

    record GunParam(String gun) {}

    record GenerateParams(String role, String gun, String token, String algorithm, String slot) {}

    record ImportParams(
            String pem, String passphrase, String role, String gun, String token, Boolean skipExisting, String slot) {}

    record AdoptParams(String token, String keyId, String ckaId, String role, String gun) {}

    record KeyIdParam(String keyId) {}

    record SignRawParams(String keyId, String data) {}

    record SignBatchParams(String keyId, List<String> data) {}

    /** The most payloads one {@code sign.batch} signs; the request line limit (1 MiB) bounds their size. */
    static final int MAX_BATCH_ITEMS = 1024;

    private static String required(String value, String field) throws BadRequestException {
        if (value == null || value.isEmpty()) {
            throw new BadRequestException("params." + field + " is required (a non-empty string)", "params." + field);
        }
        return value;
    }

    /** The action of a method on one recorded key: the key's GUN and role, for policy and audit. */
    private Action keyAction(Operation op, JsonNode params) throws BadRequestException {
        String keyId = required(ActionResolver.optionalText(params, "keyId"), "keyId");
        Optional<KeyInventory.Entry> e = keys.inventory().find(keyId);
        return new Action(
                op,
                e.map(KeyInventory.Entry::gun).orElse(null),
                e.map(KeyInventory.Entry::role).orElse(null));
    }

    /** key.import's action: role and gun from params, else from the PEM's {@code role:}/{@code gun:} headers. */
    private Action importAction(JsonNode params) throws BadRequestException {
        String role = ActionResolver.optionalText(params, "role");
        String gun = ActionResolver.optionalText(params, "gun");
        String pem = ActionResolver.optionalText(params, "pem");
        if (pem != null && (role == null || gun == null)) {
            Map<String, String> h = pemHeaders(pem);
            role = role != null ? role : h.get("role");
            gun = gun != null ? gun : h.get("gun");
        }
        return new Action(Operation.KEY_IMPORT, gun, role);
    }

    private static Map<String, String> pemHeaders(String pem) {
        Map<String, String> out = new HashMap<>();
        try (PemReader r = new PemReader(new StringReader(pem))) {
            PemObject o = r.readPemObject();
            if (o != null) {
                for (Object h : o.getHeaders()) {
                    PemHeader ph = (PemHeader) h;
                    out.put(
                            ph.getName().toLowerCase(java.util.Locale.ROOT),
                            ph.getValue().strip());
                }
                java.util.Arrays.fill(o.getContent(), (byte) 0);
            }
        } catch (IOException | RuntimeException e) {
            // the handler reports the bad PEM
        }
        return out;
    }

    // ---- tokens ---------------------------------------------------------------------------------

    private JsonNode tokenList(CallerIdentity caller, JsonNode params) throws CustodyException {
        Params.bind(params, NoParams.class);
        return Results.json(new TokenList(tokenStatuses()));
    }

    /** {@code TokenStatus} of every configured token, with its key count. */
    List<TokenReport> tokenStatuses() {
        List<TokenReport> out = new ArrayList<>();
        Map<String, Integer> counts = new HashMap<>();
        keys.inventory().all().forEach(e -> counts.merge(e.tokenName(), 1, Integer::sum));
        for (ManagedToken t : keys.tokens().all()) {
            out.add(tokenStatus(t, counts.getOrDefault(t.name(), 0)));
        }
        return out;
    }

    /** {@code TokenStatus}; a token that is absent (or whose module fails) shows {@code present: false}. */
    TokenReport tokenStatus(ManagedToken t, int keyCount) {
        Optional<TokenInfo> now;
        try {
            now = t.probe();
        } catch (TokenException e) {
            now = Optional.empty();
        }
        Optional<TokenInfo> info = now.isPresent() ? now : t.lastInfo();
        boolean yubikey = t.config().isYubikey();
        return new TokenReport(
                t.name(),
                info.map(TokenInfo::label).orElse(t.config().selector().label()),
                info.map(TokenInfo::serial).orElse(t.config().selector().serial()),
                info.map(TokenInfo::manufacturer).orElse(null),
                info.map(TokenInfo::model).orElse(null),
                now.isPresent(),
                now.isPresent() && t.loggedIn(),
                t.unlockedUntil().map(Object::toString).orElse(null),
                t.config().pin().spec(),
                now.map(TokenInfo::userPinCountLow).orElse(false),
                now.map(TokenInfo::userPinFinalTry).orElse(false),
                now.map(TokenInfo::userPinLocked).orElse(false),
                keyCount,
                yubikey ? t.config().profile().configName() : null,
                yubikey ? t.config().findManagementKey().map(Object::toString).orElse("none") : null,
                yubikey
                        ? TokenManager.defaultManagementKeyWarning(t.config())
                                .map(List::of)
                                .orElse(null)
                        : null);
    }

    private JsonNode tokenUnlock(CallerIdentity caller, JsonNode params) throws CustodyException {
        String tokenSpec = required(ActionResolver.optionalText(params, "token"), "token");
        JsonNode pinNode = params.get("pin");
        if (pinNode == null || !pinNode.isTextual() || pinNode.asText().isEmpty()) {
            throw new BadRequestException("params.pin is required (a non-empty string)", "params.pin");
        }
        var it = params.fieldNames();
        while (it.hasNext()) {
            String f = it.next();
            if (!f.equals("token") && !f.equals("pin")) {
                throw new BadRequestException(
                        "params." + f + " is not a known parameter (known: pin, token)", "params." + f);
            }
        }
        ManagedToken t = keys.tokens().get(tokenSpec);
        char[] pin = pinNode.asText().toCharArray();
        Instant until;
        try {
            until = t.unlock(pin);
        } catch (TokenException e) {
            throw TokenErrors.toCustody(t.name(), e);
        } finally {
            PinSource.wipe(pin);
        }
        return Results.json(new TokenUnlockResult(t.name(), until.toString()));
    }

    private JsonNode tokenLock(CallerIdentity caller, JsonNode params) throws CustodyException {
        TokenParam p = Params.bind(params, TokenParam.class);
        ManagedToken t = keys.tokens().get(required(p.token(), "token"));
        t.lock();
        return Results.json(new TokenLocked(t.name()));
    }

    // ---- keys -----------------------------------------------------------------------------------

    private JsonNode keyList(CallerIdentity caller, JsonNode params) throws CustodyException {
        GunParam p = Params.bind(params, GunParam.class);
        Map<String, Boolean> present = new HashMap<>();
        for (ManagedToken t : keys.tokens().all()) {
            boolean here;
            try {
                here = t.probe().isPresent();
            } catch (TokenException e) {
                here = false;
            }
            present.put(t.name(), here);
        }
        List<KeyEntry> out = new ArrayList<>();
        for (KeyInventory.Entry e : keys.inventory().all()) {
            if (p.gun() == null || p.gun().equals(e.gun())) {
                out.add(keyInfo(e, present.getOrDefault(e.tokenName(), false)));
            }
        }
        return Results.json(new KeyList(out));
    }

    /** {@code KeyInfo}. */
    private KeyEntry keyInfo(KeyInventory.Entry e, boolean present) {
        return new KeyEntry(
                e.keyId(),
                e.role(),
                e.gun(),
                e.algorithm(),
                e.tokenName(),
                e.tokenSerial(),
                keys.slotOf(e).map(s -> s.hex()).orElse(null),
                present,
                e.created());
    }

    private JsonNode keyGenerate(CallerIdentity caller, JsonNode params) throws CustodyException {
        GenerateParams p = Params.bind(params, GenerateParams.class);
        String role = required(p.role(), "role");
        KeyAlgorithm alg = switch (p.algorithm() == null ? "ecdsa" : p.algorithm()) {
            case "ecdsa" -> KeyAlgorithm.EC_P256;
            case "ed25519" -> KeyAlgorithm.ED25519;
            default ->
                throw new BadRequestException("params.algorithm must be \"ecdsa\" or \"ed25519\"", "params.algorithm");
        };
        ManagedToken t = keys.tokens().get(p.token());
        KeyInventory.Entry e = keys.generate(t, role, p.gun(), alg, p.slot());
        return Results.json(KeyMade.generated(keyInfo(e, true), publicKeyPem(e)));
    }

    /** The public key as docker writes {@code NAME.pub}: a PEM PUBLIC KEY block with a {@code role} header. */
    static String publicKeyPem(KeyInventory.Entry e) {
        return publicKeyPem(e.publicKey(), e.role());
    }

    /** A PEM PUBLIC KEY block of base64 DER {@code b64}, with a {@code role} header when role is given. */
    static String publicKeyPem(String b64, String role) {
        StringBuilder pem = new StringBuilder("-----BEGIN PUBLIC KEY-----\n");
        if (role != null) {
            pem.append("role: ").append(role).append("\n\n");
        }
        for (int i = 0; i < b64.length(); i += 64) {
            pem.append(b64, i, Math.min(b64.length(), i + 64)).append('\n');
        }
        return pem.append("-----END PUBLIC KEY-----\n").toString();
    }

    private JsonNode keyImport(CallerIdentity caller, JsonNode params) throws CustodyException {
        ImportParams p = Params.bind(params, ImportParams.class);
        char[] pass = p.passphrase() == null ? null : p.passphrase().toCharArray();
        TrustDirKey k;
        try {
            k = TrustDirKey.read(required(p.pem(), "pem"), pass);
        } finally {
            PinSource.wipe(pass);
        }
        String role = p.role() != null
                ? p.role()
                : k.role()
                        .orElseThrow(() -> new BadRequestException(
                                "params.role is required: the PEM has no role: header", "params.role"));
        String gun = p.gun() != null ? p.gun() : k.gun().orElse(null);
        ManagedToken t = keys.tokens().get(p.token());
        if (Boolean.TRUE.equals(p.skipExisting())) {
            Optional<KeyInventory.Entry> known = keys.inventory()
                    .find(dev.custody.tuf.keys.PublicKeys.toTufKey(k.publicKey())
                            .id());
            if (known.isPresent()) {
                // a re-run of a trust_dir import: this key is on a token already; nothing is written
                return Results.json(KeyMade.alreadyImported(keyInfo(known.get(), true)));
            }
        }
        KeyInventory.Entry e = keys.importKey(t, k.privateKey(), k.publicKey(), role, gun, p.slot());
        return Results.json(KeyMade.imported(
                keyInfo(e, true),
                "key " + e.keyId() + " is now on token " + e.tokenName() + " (non-extractable);"
                        + " the software copy in your notary/docker trust_dir (private/" + e.keyId()
                        + ".key or the file you"
                        + " imported) is still yours: delete it yourself once you have checked the token copy"));
    }

    /** key.scan: the private keys on one token, known to this daemon or not. */
    private JsonNode keyScan(CallerIdentity caller, JsonNode params) throws CustodyException {
        TokenParam p = Params.bind(params, TokenParam.class);
        ManagedToken t = keys.tokens().get(required(p.token(), "token"));
        List<TokenKeyService.ScannedKey> found = keys.scan(t);
        List<ScanResult.Found> out = new ArrayList<>();
        for (TokenKeyService.ScannedKey s : found) {
            Optional<KeyInventory.Entry> known = s.known();
            out.add(new ScanResult.Found(
                    s.keyId(),
                    s.key().idHex(),
                    s.key().label(),
                    TokenKeyService.keyType(s.key().algorithm()),
                    s.attributes().sensitive(),
                    s.attributes().extractable(),
                    known.isEmpty() && s.attributes().custodyCompliant(),
                    known.isPresent(),
                    known.map(KeyInventory.Entry::role).orElse(null),
                    known.map(KeyInventory.Entry::gun).orElse(null),
                    known.map(KeyInventory.Entry::tokenName).orElse(null),
                    publicKeyPem(
                            Base64.getEncoder()
                                    .encodeToString(s.key().publicKey().getEncoded()),
                            null)));
        }
        return Results.json(
                new ScanResult(t.name(), t.lastInfo().map(TokenInfo::serial).orElse(null), out));
    }

    /** key.adopt: records a key already on a token (by keyId or ckaId) for a role and repository. */
    private JsonNode keyAdopt(CallerIdentity caller, JsonNode params) throws CustodyException {
        AdoptParams p = Params.bind(params, AdoptParams.class);
        String token = required(p.token(), "token");
        if ((p.keyId() == null) == (p.ckaId() == null)) {
            throw new BadRequestException(
                    "give exactly one of params.keyId (the TUF key ID) and params.ckaId (hex)", "params.keyId");
        }
        String id = p.keyId() != null ? p.keyId() : p.ckaId();
        if (!id.matches("[0-9a-fA-F]{2,128}") || id.length() % 2 != 0) {
            throw new BadRequestException(
                    "params." + (p.keyId() != null ? "keyId" : "ckaId") + " must be hex",
                    p.keyId() != null ? "params.keyId" : "params.ckaId");
        }
        String role = required(p.role(), "role");
        checkAdoptRole(role, p.gun());
        ManagedToken t = keys.tokens().get(token);
        KeyInventory.Entry e = keys.adopt(t, p.keyId(), p.ckaId(), role, p.gun());
        return Results.json(new KeyAdopted(keyInfo(e, true), e.ckaId(), e.label(), publicKeyPem(e)));
    }

    /**
     * The roles a key can be adopted for: {@code root}, {@code targets} and {@code snapshot} (these two
     * with a GUN), a delegation {@code targets/NAME}, or a docker signer name; never {@code timestamp}
     * (the server's key).
     */
    static void checkAdoptRole(String role, String gun) throws BadRequestException {
        if (role.equals("timestamp")) {
            throw new BadRequestException(
                    "params.role: the timestamp key is the Notary server's; adopt root, targets,"
                            + " snapshot or a delegation key",
                    "params.role");
        }
        if (!role.matches("[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*")
                || (role.contains("/") && !role.startsWith("targets/"))) {
            throw new BadRequestException(
                    "params.role: '" + role + "' is not a role: use root, targets, snapshot,"
                            + " targets/NAME or a signer name",
                    "params.role");
        }
        if ((role.equals("targets") || role.equals("snapshot")) && (gun == null || gun.isBlank())) {
            throw new BadRequestException(
                    "params.gun is required for a " + role + " key (it signs one repository)", "params.gun");
        }
    }

    private JsonNode keyRemove(CallerIdentity caller, JsonNode params) throws CustodyException {
        KeyIdParam p = Params.bind(params, KeyIdParam.class);
        KeyInventory.Entry e = keys.remove(required(p.keyId(), "keyId"));
        return Results.json(new KeyRemoved(e.keyId(), e.tokenName(), e.tokenSerial()));
    }

    private JsonNode signRaw(CallerIdentity caller, JsonNode params) throws CustodyException {
        SignRawParams p = Params.bind(params, SignRawParams.class);
        KeyInventory.Entry e = keys.entry(required(p.keyId(), "keyId"));
        byte[] data;
        try {
            data = Base64.getDecoder().decode(required(p.data(), "data"));
        } catch (IllegalArgumentException ex) {
            throw new BadRequestException("params.data must be base64", "params.data");
        }
        byte[] sig = keys.sign(e, data);
        return Results.json(Signatures.one(
                e.keyId(), signatureMethod(e), Base64.getEncoder().encodeToString(sig), e.tokenSerial()));
    }

    /**
     * sign.batch: many payloads, one key, one token session, one audit line (count and
     * {@code itemsSha256} = SHA-256 over the items' SHA-256 digests, in order) synced once. All items
     * are checked before the first is signed; a token failure on any item fails the whole batch.
     */
    private JsonNode signBatch(CallerIdentity caller, JsonNode params) throws CustodyException {
        SignBatchParams p = Params.bind(params, SignBatchParams.class);
        KeyInventory.Entry e = keys.entry(required(p.keyId(), "keyId"));
        AuditDetails.current().put("keyId", e.keyId());
        List<String> items = p.data();
        if (items == null || items.isEmpty()) {
            throw new BadRequestException(
                    "params.data is required: a non-empty array of base64 strings", "params.data");
        }
        if (items.size() > MAX_BATCH_ITEMS) {
            throw new BadRequestException(
                    "params.data has " + items.size() + " items; a batch signs at most " + MAX_BATCH_ITEMS,
                    "params.data");
        }
        List<byte[]> data = new ArrayList<>(items.size());
        MessageDigest itemDigest = sha256();
        MessageDigest all = sha256();
        for (int i = 0; i < items.size(); i++) {
            String b64 = items.get(i);
            if (b64 == null) {
                throw new BadRequestException(
                        "params.data[" + i + "] must be a base64 string", "params.data[" + i + "]");
            }
            byte[] d;
            try {
                d = Base64.getDecoder().decode(b64);
            } catch (IllegalArgumentException ex) {
                throw new BadRequestException("params.data[" + i + "] must be base64", "params.data[" + i + "]");
            }
            all.update(itemDigest.digest(d));
            data.add(d);
        }
        AuditDetails.current()
                .put("count", data.size())
                .put("itemsSha256", HexFormat.of().formatHex(all.digest()));
        List<byte[]> sigs = keys.signAll(e, data);
        Base64.Encoder enc = Base64.getEncoder();
        return Results.json(Signatures.batch(
                e.keyId(),
                signatureMethod(e),
                e.tokenSerial(),
                sigs.stream().map(enc::encodeToString).toList()));
    }

    /** How a key signs, as the sign methods say: {@code eddsa} or {@code ecdsa}. */
    private static String signatureMethod(KeyInventory.Entry e) {
        return e.algorithm().equals("ed25519") ? "eddsa" : "ecdsa";
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
