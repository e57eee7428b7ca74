package dev.custody.daemon.ceremony;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.DaemonContext;
import dev.custody.daemon.keys.KeyService;
import dev.custody.daemon.repo.RepoShared;
import dev.custody.daemon.repo.RepoState;
import dev.custody.daemon.repo.TokenHolderGate;
import dev.custody.daemon.rpc.Call;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.ConflictException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.NotFoundException;
import dev.custody.protocol.results.CeremonyPrepared;
import dev.custody.protocol.results.CeremonyPublished;
import dev.custody.protocol.results.CeremonySigned;
import dev.custody.protocol.results.Published;
import dev.custody.protocol.results.RootCertificate;
import dev.custody.protocol.results.RootTrusted;
import dev.custody.tuf.SigningException;
import dev.custody.tuf.TufException;
import dev.custody.tuf.ceremony.Bundle;
import dev.custody.tuf.ceremony.Ceremony;
import dev.custody.tuf.ceremony.Operation;
import dev.custody.tuf.ceremony.Review;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.keys.RootCertificates;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.repo.KeyRing;
import dev.custody.tuf.repo.PublishSet;
import dev.custody.tuf.repo.RepoEditor;
import dev.custody.tuf.sign.Signer;
import dev.custody.tuf.verify.TrustPinning;
import dev.custody.tuf.verify.TrustedMetadata;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The ceremony methods. Online: {@link #prepare} builds a bundle from the repository as just verified from
 * the server; {@link #publish} checks every signature against the server's state now, signs the online
 * roles, sends, and moves the trusted copy forward by an update. Offline: {@link #trust} pins a root;
 * {@link #sign} checks a bundle against this daemon's own trusted root only, asks for an approval when
 * policy says so, signs with the root (or role) keys on its tokens and keeps the verified base root.
 */
final class CeremonyService {
    private final DaemonContext ctx;
    private final Supplier<KeyService> keys;
    private final Supplier<RepoShared> repo;
    private final CeremonyInit init;
    private final CeremonyKeys ceremonyKeys;

    CeremonyService(DaemonContext ctx, Supplier<KeyService> keys, Supplier<RepoShared> repo) {
        this.ctx = ctx;
        this.keys = keys;
        this.repo = repo;
        this.init = new CeremonyInit(ctx, keys, repo, this);
        this.ceremonyKeys = new CeremonyKeys(ctx, keys);
    }

    // ---------------------------------------------------------------- prepare (online)

    Record prepare(Call call, CeremonyParams.Prepare p) throws CustodyException {
        String gun = required(p.gun(), "gun");
        String word = required(p.operation(), "operation");
        if (!List.of("rotate-root", "replace-root-key", "rotate-targets", "rotate-snapshot", "resign-root", "init")
                .contains(word)) {
            throw new BadRequestException(
                    "params.operation: one of rotate-root, replace-root-key, rotate-targets,"
                            + " rotate-snapshot, resign-root, init",
                    "params.operation");
        }
        if (word.equals("init")) {
            return init.prepare(call, p, gun);
        }
        return repo.get().online(gun, p.server(), p.serverCaSha256(), (st, srv) -> {
            Repository current = repo.get().update(st, srv, word.equals("resign-root"));
            Root root = current.root().signed();
            List<byte[]> chain = rootChain(gun, root, p, srv);
            Bundle bundle = switch (word) {
                case "rotate-root" -> prepareRotateRoot(gun, current, p, chain);
                case "replace-root-key" -> prepareReplaceRootKey(gun, current, p, chain);
                case "rotate-targets" ->
                    Ceremony.prepareRotateTargets(
                            current, ceremonyKeys.onlineKey(gun, "targets", p, srv), chain, ctx.clock());
                case "rotate-snapshot" ->
                    Ceremony.prepareRotateSnapshot(
                            current, ceremonyKeys.onlineKey(gun, "snapshot", p, srv), chain, ctx.clock());
                default ->
                    Ceremony.prepareResignRoot(
                            current,
                            Duration.ofDays(
                                    p.expiresInDays() == null ? RepoEditor.ROOT_EXPIRY.toDays() : p.expiresInDays()),
                            chain,
                            ctx.clock());
            };
            byte[] file = bundle.toBytes();
            audit(
                    "ceremony.prepare",
                    call,
                    gun,
                    "root",
                    null,
                    (long) bundle.changes().get("root").version(),
                    file,
                    bundle.operation().word());
            return preparedResult(
                    gun,
                    bundle,
                    file,
                    root.version(),
                    bundle.changes().get("root").version());
        });
    }

    /** The server's root versions from {@code params.chainFrom} (at least 1) up to, not including, {@code root}'s. */
    private static List<byte[]> rootChain(String gun, Root root, CeremonyParams.Prepare p, RepoShared.Server srv)
            throws Exception {
        int chainFrom = p.chainFrom() == null ? 1 : Math.max(1, p.chainFrom());
        List<byte[]> chain = new ArrayList<>();
        for (int v = chainFrom; v < root.version(); v++) {
            chain.add(srv.client().getRootVersion(gun, v));
        }
        return chain;
    }

    /** {@code rotate-root}: a new root listing the named and/or certified new keys, at the asked threshold. */
    private Bundle prepareRotateRoot(String gun, Repository current, CeremonyParams.Prepare p, List<byte[]> chain)
            throws Exception {
        Root root = current.root().signed();
        List<TufKey> newKeys = new ArrayList<>();
        for (String id : p.newRootKeyIds() == null ? List.<String>of() : p.newRootKeyIds()) {
            newKeys.add(ceremonyKeys.rootKey(gun, root, id));
        }
        for (String pem : p.newRootKeys() == null ? List.<String>of() : p.newRootKeys()) {
            newKeys.add(CeremonyKeys.certificateKey(gun, pem, "params.newRootKeys"));
        }
        if (newKeys.isEmpty()) {
            throw new BadRequestException(
                    "rotate-root needs the new root keys: newRootKeyIds and/or newRootKeys", "params.newRootKeyIds");
        }
        int threshold = p.rootThreshold() == null ? root.role("root").threshold() : p.rootThreshold();
        if (threshold < 1 || threshold > newKeys.size()) {
            throw new BadRequestException(
                    "params.rootThreshold must be between 1 and " + newKeys.size(), "params.rootThreshold");
        }
        return Ceremony.prepareRotateRoot(current, newKeys, threshold, chain, ctx.clock());
    }

    /** {@code replace-root-key}: the lost root key swapped for a new one. */
    private Bundle prepareReplaceRootKey(String gun, Repository current, CeremonyParams.Prepare p, List<byte[]> chain)
            throws Exception {
        Root root = current.root().signed();
        String lost = CeremonyKeys.rootKeyIdIn(root, required(p.lostKeyId(), "lostKeyId"))
                .orElseThrow(() -> new BadRequestException(
                        "params.lostKeyId: " + p.lostKeyId() + " is not a root key of " + gun + " v" + root.version(),
                        "params.lostKeyId"));
        TufKey newKey = p.newKey() != null
                ? CeremonyKeys.certificateKey(gun, p.newKey(), "params.newKey")
                : ceremonyKeys.rootKey(gun, root, required(p.newKeyId(), "newKeyId"));
        return Ceremony.prepareReplaceRootKey(current, lost, newKey, chain, ctx.clock());
    }

    // ---------------------------------------------------------------- trust (offline)

    RootTrusted trust(Call call, CeremonyParams.Trust p) throws CustodyException {
        String gun = required(p.gun(), "gun");
        byte[] raw = base64(required(p.root(), "root"), "root");
        return repo.get().offline(gun, st -> {
            // the root must stand on its own: signed by a threshold of its own root keys, for this GUN
            TrustedMetadata given = TrustedMetadata.fromTrustedRoot(gun, raw, TrustPinning.TOFU, ctx.clock());
            Optional<byte[]> have = st.store().find(gun, "root");
            if (have.isPresent()) {
                TrustedMetadata now = TrustedMetadata.fromTrustedRoot(gun, have.get(), TrustPinning.TOFU, ctx.clock());
                int hv = now.root().version();
                if (given.root().version() < hv) {
                    throw new ConflictException(
                            gun,
                            gun + ": root v" + hv + " is already trusted here; v"
                                    + given.root().version() + " would roll it back");
                }
                if (given.root().version() == hv
                        && !java.util.Arrays.equals(
                                given.root().canonical(), now.root().canonical())) {
                    throw new ConflictException(gun, gun + ": another root v" + hv + " is already trusted here");
                }
                if (given.root().version() > hv) {
                    try {
                        for (int v = hv + 1; v <= given.root().version(); v++) {
                            if (v < given.root().version()) {
                                throw new ConflictException(
                                        gun,
                                        gun + ": root v" + given.root().version() + " does not follow"
                                                + " directly from the trusted v" + hv
                                                + "; trust the roots in between first, or let the next"
                                                + " bundle's root chain walk there");
                            }
                            now.updateRoot(raw);
                        }
                    } catch (TufException e) {
                        throw new ConflictException(
                                gun,
                                gun + ": root v" + given.root().version() + " is not signed as a"
                                        + " rotation from the trusted v" + hv + ": " + e.getMessage());
                    }
                }
            }
            st.store().commit(gun, Map.of("root", raw), Set.of());
            audit("ceremony.trust", call, gun, "root", null, (long) given.root().version(), raw, null);
            return rootInfo(gun, given.root());
        });
    }

    private static RootTrusted rootInfo(String gun, Signed<Root> r) {
        return new RootTrusted(
                gun,
                r.version(),
                List.copyOf(r.signed().keysOf("root").keySet()),
                r.signed().role("root").threshold(),
                r.signed().expires().toString());
    }

    // ---------------------------------------------------------------- root certificates (offline)

    RootCertificate rootCert(Call call, CeremonyParams.RootCert p) throws CustodyException {
        String gun = required(p.gun(), "gun");
        String id = required(p.keyId(), "keyId");
        return repo.get().offline(gun, st -> {
            KeyService ks = keys.get();
            Signer s = ks.findSigner(id)
                    .orElseThrow(() -> new NotFoundException(
                            "key", id, "no key " + id + " in the inventory (key.list shows them)"));
            X509Certificate cert = RootCertificates.create(s, gun, ctx.clock());
            TufKey k = PublicKeys.toTufKey(cert);
            ks.assign(id, "root", gun);
            audit("ceremony.rootCert", call, gun, "root", k.id(), null, null, null);
            return new RootCertificate(
                    gun,
                    k.id(),
                    id,
                    "-----BEGIN CERTIFICATE-----\n"
                            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                                    .encodeToString(cert.getEncoded())
                            + "\n-----END CERTIFICATE-----\n");
        });
    }

    // ---------------------------------------------------------------- sign (offline)

    CeremonySigned sign(Call call, CeremonyParams.Sign p) throws CustodyException {
        Bundle parsed = bundle(p.bundle(), p.gun());
        String gun = p.gun() != null ? p.gun() : parsed.gun();
        boolean trustBase = Boolean.TRUE.equals(p.trustBase());
        return repo.get().offline(gun, st -> {
            Optional<byte[]> pinned = st.store().find(gun, "root");
            if (parsed.operation() == Operation.INIT) {
                init.checkSignable(st, parsed, gun);
                return signReviewed(call, gun, parsed, Ceremony.verifyInitForSigning(parsed, ctx.clock()), 0);
            }
            byte[] trustedRoot;
            if (pinned.isPresent()) {
                trustedRoot = pinned.get();
            } else if (trustBase && parsed.gun().equals(gun)) {
                // explicit TOFU by the operator: the bundle's base root, if it stands on its own
                trustedRoot = parsed.base().get("root") == null
                        ? null
                        : parsed.base().get("root").file();
                if (trustedRoot == null) {
                    throw new BadRequestException("the bundle has no base root to trust", "params.bundle");
                }
            } else {
                throw new NotFoundException(
                        "repository",
                        gun,
                        "no trusted root for " + gun + " here: pin one with"
                                + " ceremony.trust (custody ceremony trust " + gun
                                + " ROOT.json), or pass trustBase: true to trust"
                                + " this bundle's base root");
            }
            TrustedMetadata trusted = TrustedMetadata.fromTrustedRoot(gun, trustedRoot, TrustPinning.TOFU, ctx.clock());
            Review review = Ceremony.verifyForSigning(parsed, trusted, ctx.clock());
            CeremonySigned r = signReviewed(
                    call,
                    gun,
                    parsed,
                    review,
                    Math.max(trusted.root().version(), review.baseRoot().version()));
            if (pinned.isEmpty() || review.baseRoot().version() > trusted.root().version()) {
                st.store().commit(gun, Map.of("root", review.baseRoot().toBytes()), Set.of());
            }
            return r;
        });
    }

    /**
     * Approvals, then signatures by every key of this daemon that counts (a key whose token is absent is
     * skipped), audit lines, and the result: the bundle, who signed now, what is still missing.
     */
    private CeremonySigned signReviewed(Call call, String gun, Bundle parsed, Review review, int trustedRootVersion)
            throws Exception {
        String summary = String.join("\n", review.summary());
        if (call.decision() != null && call.decision().approvalRequired()) {
            repo.get().awaitApproval(call.caller(), call.method(), gun, "root", summary);
        }
        // token holders approve each token's signatures first (as many as this bundle can still use)
        KeyRing all = repo.get()
                .gateByHolders(call.caller(), call.method(), gun, summary, ring(), SignatureNeeds.of(review, parsed));
        Set<String> excluded = new HashSet<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        Bundle signed;
        while (true) {
            KeyRing ring = key -> excluded.contains(key.id()) ? Optional.empty() : all.find(key);
            try {
                signed = Ceremony.addSignatures(review, ring);
                break;
            } catch (SigningException e) {
                String bad = SignatureNeeds.badKey(review, e.keyId());
                if (bad == null || !excluded.add(bad)) {
                    throw e;
                }
                skipped.put(bad, e.getMessage());
            }
        }
        byte[] out = signed.toBytes();
        List<String> now = new ArrayList<>();
        for (String role : signed.changes().keySet()) {
            Set<String> before = new HashSet<>(parsed.signedBy(role));
            for (String id : signed.signedBy(role)) {
                if (!before.contains(id) && !now.contains(id)) {
                    now.add(id);
                }
            }
            audit(
                    "ceremony.sign",
                    call,
                    gun,
                    role,
                    null,
                    (long) signed.changes().get(role).version(),
                    signed.changes().get(role).canonical(),
                    signed.operation().word());
        }
        return new CeremonySigned(
                gun,
                signed.operation().word(),
                Base64.getEncoder().encodeToString(out),
                review.summary(),
                now,
                SignatureNeeds.missing(review, signed),
                skipped.entrySet().stream()
                        .map(e -> new CeremonySigned.Skipped(e.getKey(), e.getValue()))
                        .toList(),
                trustedRootVersion);
    }

    // ---------------------------------------------------------------- publish (online)

    CeremonyPublished publish(Call call, CeremonyParams.Publish p) throws CustodyException {
        Bundle bundle = bundle(p.bundle(), p.gun());
        String gun = p.gun() != null ? p.gun() : bundle.gun();
        return repo.get().online(gun, p.server(), p.serverCaSha256(), (st, srv) -> {
            if (bundle.operation() == Operation.INIT) {
                return init.publish(call, bundle, gun, st, srv);
            }
            Repository current = repo.get().update(st, srv, bundle.operation() == Operation.RESIGN_ROOT);
            Signed<? extends dev.custody.tuf.model.Metadata> newRoot =
                    bundle.changes().get("root");
            if (newRoot != null
                    && current.root().version() == newRoot.version()
                    && java.util.Arrays.equals(current.root().canonical(), newRoot.canonical())) {
                // published before (a repeated call, or one that completed after a restart): nothing to do
                return CeremonyPublished.already(gun, current.root().version());
            }
            if (call.decision() != null && call.decision().approvalRequired()) {
                // before the online keys sign anything (verifyForPublish signs targets/snapshot)
                repo.get()
                        .awaitApproval(call.caller(), call.method(), gun, "root", String.join("\n", bundle.summary()));
            }
            // journaled: a daemon killed at any step resumes (or rolls back) at start-up, so the server gets this
            // bundle's versions exactly once and the trusted copy follows the server
            ObjectNode plan = JsonNodeFactory.instance
                    .objectNode()
                    .put("operation", bundle.operation().word())
                    .put("fromRootVersion", current.root().version())
                    .put("assignOnlineKeys", true);
            // the online keys (targets re-signed by its new key, snapshot) wait for their tokens' holders, if any
            Root next = newRoot == null ? current.root().signed() : (Root) newRoot.signed();
            KeyRing online = repo.get()
                    .gateByHolders(
                            call.caller(),
                            call.method(),
                            gun,
                            String.join("\n", bundle.summary()),
                            ring(),
                            onlineNeeds(bundle, next));
            Map<String, byte[]> sent = new LinkedHashMap<>();
            Published result = repo.get().journaledPublish(st, srv, plan, () -> {
                PublishSet ps = Ceremony.verifyForPublish(bundle, current, online, ctx.clock());
                sent.putAll(ps.files());
                return ps.files();
            });
            return publishedResult(call, gun, bundle, st, sent, result);
        });
    }

    /**
     * What the online keys sign in a ceremony publish, for {@link TokenHolderGate}: each changed role but
     * root (signed by its new key unless the bundle holds its signatures), and snapshot.
     */
    private static List<TokenHolderGate.Need> onlineNeeds(Bundle bundle, Root next) {
        List<TokenHolderGate.Need> needs = new ArrayList<>();
        for (String role : bundle.changes().keySet()) {
            if (!role.equals("root")) {
                needs.add(new TokenHolderGate.Need(
                        role,
                        next.keysOf(role).values(),
                        next.role(role).threshold(),
                        Set.copyOf(bundle.signedBy(role)),
                        false));
            }
        }
        needs.add(new TokenHolderGate.Need(
                "snapshot",
                next.keysOf("snapshot").values(),
                next.role("snapshot").threshold(),
                Set.of(),
                true));
        return needs;
    }

    /** The result of a ceremony publish (the version of each role sent); audits each role sent. */
    private CeremonyPublished publishedResult(
            Call call, String gun, Bundle bundle, RepoState st, Map<String, byte[]> sent, Published result)
            throws Exception {
        Map<String, Integer> roles = auditSent(call, gun, bundle, sent);
        Optional<byte[]> trustedRoot = st.store().find(gun, "root");
        int rootVersion = trustedRoot.isPresent()
                ? Signed.parse(trustedRoot.get(), "root").version()
                : result.versionOf("root");
        return new CeremonyPublished(gun, roles, rootVersion, null);
    }

    /** Audits each role a ceremony publish sent ({@code ceremony.publish}); returns the version of each. */
    Map<String, Integer> auditSent(Call call, String gun, Bundle bundle, Map<String, byte[]> sent) throws Exception {
        Map<String, Integer> roles = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : sent.entrySet()) {
            int v = Signed.parse(e.getValue(), e.getKey()).version();
            roles.put(e.getKey(), v);
            audit(
                    "ceremony.publish",
                    call,
                    gun,
                    e.getKey(),
                    null,
                    (long) v,
                    e.getValue(),
                    bundle.operation().word());
        }
        return roles;
    }

    // ---------------------------------------------------------------- plumbing

    /** Signers of this daemon's key service, found by the key a role lists (a root certificate signs as its key). */
    KeyRing ring() {
        return repo.get().ring();
    }

    private static String required(String v, String field) throws BadRequestException {
        if (v == null || v.isBlank()) {
            throw new BadRequestException("params." + field + " is required (a non-empty string)", "params." + field);
        }
        return v;
    }

    /** The bundle of {@code params.bundle} (base64), parsed; a bundle that does not parse is refused for {@code gun}. */
    private static Bundle bundle(String b64, String gun) throws CustodyException {
        byte[] file = base64(required(b64, "bundle"), "bundle");
        try {
            return Bundle.parse(file);
        } catch (TufException e) {
            throw RepoShared.toCustody(gun, e);
        }
    }

    private static byte[] base64(String v, String field) throws BadRequestException {
        try {
            return Base64.getDecoder().decode(v);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException("params." + field + " must be base64", "params." + field);
        }
    }

    void audit(
            String event, Call call, String gun, String role, String keyId, Long version, byte[] hashOf, String message)
            throws java.io.IOException {
        repo.get().audit(event, call, gun, role, keyId, version, hashOf, message);
    }

    /** The result of a {@code ceremony.prepare}: the bundle to carry offline and what it changes. */
    static CeremonyPrepared preparedResult(String gun, Bundle bundle, byte[] file, long baseRoot, long newRoot) {
        return new CeremonyPrepared(
                gun,
                bundle.operation().word(),
                Base64.getEncoder().encodeToString(file),
                bundle.summary(),
                baseRoot,
                newRoot);
    }
}
