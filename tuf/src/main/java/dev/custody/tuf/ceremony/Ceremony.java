package dev.custody.tuf.ceremony;

import dev.custody.tuf.MalformedMetadataException;
import dev.custody.tuf.SigningException;
import dev.custody.tuf.TufException;
import dev.custody.tuf.ceremony.BundleTamperedException.Kind;
import dev.custody.tuf.model.MetaType;
import dev.custody.tuf.model.Metadata;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signature;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.Targets;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.repo.KeyRing;
import dev.custody.tuf.repo.PublishSet;
import dev.custody.tuf.repo.RepoEditor;
import dev.custody.tuf.sign.Signer;
import dev.custody.tuf.sign.Signing;
import dev.custody.tuf.verify.SignatureVerifier;
import dev.custody.tuf.verify.TrustPinning;
import dev.custody.tuf.verify.TrustedMetadata;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Air-gapped signing ceremonies: the online machine prepares a {@link Bundle}, the offline machine (root
 * keys on its tokens, no server) checks it against its own trusted root and adds signatures, the online
 * machine checks every signature and publishes.
 *
 * <p>Call sequence:
 * <ol>
 *   <li>online: {@link #prepare} (or {@code prepareRotateRoot}, {@code prepareReplaceRootKey},
 *       {@code prepareRotateTargets}, {@code prepareRotateSnapshot}, {@code prepareResignRoot}) from the
 *       repository as the updater just verified it → {@link Bundle#toBytes()} → carry the file over;</li>
 *   <li>offline: {@link Bundle#parse} → {@link #verifyForSigning} against the signer's trusted root → show
 *       {@link Review#summary()}, get approval → {@link #addSignatures} (once per token, or all at once) →
 *       carry the file back;</li>
 *   <li>online: {@link #verifyForPublish} against the repository as the updater verifies it now → send
 *       {@link PublishSet#files()} to the server.</li>
 * </ol>
 *
 * <p>Nothing here does I/O; the time comes from the injected {@link Clock}.
 */
public final class Ceremony {
    private Ceremony() {}

    /** Edits a prepared ceremony applies to the repository. */
    @FunctionalInterface
    public interface Edit {
        void apply(RepoEditor editor) throws TufException;
    }

    /**
     * Prepares a ceremony: applies {@code edit} to {@code current} and records the unsigned result.
     *
     * @param current the repository as just verified from the server
     * @param rootChain root files the offline signer may need to reach {@code current}'s root from the one
     *     it trusts (versions below the current root's, oldest first); empty if it is up to date
     * @throws IllegalArgumentException if the edit changes more or other than {@code op} allows
     */
    public static Bundle prepare(Repository current, Operation op, Edit edit, List<byte[]> rootChain, Clock clock)
            throws TufException {
        RepoEditor editor = RepoEditor.load(current, clock);
        edit.apply(editor);
        Map<String, Signed<? extends Metadata>> unsigned = editor.buildUnsigned();
        if (!unsigned.keySet().equals(Plan.roles(op))) {
            throw new IllegalArgumentException(
                    op.word() + " signs " + Plan.roles(op) + ", the edit changes " + unsigned.keySet());
        }
        Signed<Root> baseRoot = current.root();
        Signed<Targets> baseTargets = op == Operation.ROTATE_TARGETS
                ? current.targetsRole("targets").orElseThrow(() -> new IllegalArgumentException("no targets to rotate"))
                : null;
        Signed<Root> newRoot = cast(unsigned.get("root"), Root.class);
        Signed<Targets> newTargets =
                unsigned.containsKey("targets") ? cast(unsigned.get("targets"), Targets.class) : null;
        try {
            Plan.check(op, baseRoot, baseTargets, newRoot, newTargets);
        } catch (BundleTamperedException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        Map<String, Bundle.BaseFile> base = new LinkedHashMap<>();
        base.put("root", new Bundle.BaseFile(baseRoot.version(), baseRoot.toBytes()));
        if (baseTargets != null) {
            base.put("targets", new Bundle.BaseFile(baseTargets.version(), baseTargets.toBytes()));
        }
        return new Bundle(
                Bundle.FORMAT_VERSION,
                current.gun(),
                op,
                now(clock),
                base,
                rootChain,
                unsigned,
                Plan.summary(current.gun(), op, baseRoot, baseTargets, newRoot, newTargets));
    }

    /** {@code rotate-root}: the root role becomes {@code newRootKeys} with {@code threshold}. */
    public static Bundle prepareRotateRoot(
            Repository current, List<TufKey> newRootKeys, int threshold, List<byte[]> rootChain, Clock clock)
            throws TufException {
        return prepare(current, Operation.ROTATE_ROOT, e -> e.rotateRootKeys(newRootKeys, threshold), rootChain, clock);
    }

    /** {@code rotate-root} replacing one (lost) root key, threshold kept. */
    public static Bundle prepareReplaceRootKey(
            Repository current, String lostKeyId, TufKey newKey, List<byte[]> rootChain, Clock clock)
            throws TufException {
        return prepare(current, Operation.ROTATE_ROOT, e -> e.replaceRootKey(lostKeyId, newKey), rootChain, clock);
    }

    /** {@code rotate-targets}: a new targets key; targets is re-signed with it at publish (online key). */
    public static Bundle prepareRotateTargets(
            Repository current, TufKey newTargetsKey, List<byte[]> rootChain, Clock clock) throws TufException {
        return prepare(current, Operation.ROTATE_TARGETS, e -> e.rotateKey("targets", newTargetsKey), rootChain, clock);
    }

    /** {@code rotate-snapshot}: a new snapshot key (a local one, or the server's from {@code ServerKeys.rotate}). */
    public static Bundle prepareRotateSnapshot(
            Repository current, TufKey newSnapshotKey, List<byte[]> rootChain, Clock clock) throws TufException {
        return prepare(
                current, Operation.ROTATE_SNAPSHOT, e -> e.rotateKey("snapshot", newSnapshotKey), rootChain, clock);
    }

    /** {@code resign-root}: the same root, version + 1, valid for {@code validity} from now. */
    public static Bundle prepareResignRoot(Repository current, Duration validity, List<byte[]> rootChain, Clock clock)
            throws TufException {
        return prepare(current, Operation.RESIGN_ROOT, e -> e.expiry("root", validity), rootChain, clock);
    }

    /**
     * {@code init}: a new repository whose root keys are never online. Root v1 lists {@code rootKeys} (root
     * certificates made where the keys live, e.g. {@code RootCertificates} on the offline machine) with
     * {@code rootThreshold}, and the online targets, snapshot and timestamp keys; the bundle has no base and
     * carries only the unsigned root. Targets and snapshot v1 are made and signed at publish
     * ({@link #verifyInitForPublish}).
     *
     * @throws IllegalArgumentException if the keys do not make a valid root (e.g. a root key is no certificate)
     */
    public static Bundle prepareInit(
            String gun,
            List<TufKey> rootKeys,
            int rootThreshold,
            TufKey targetsKey,
            TufKey snapshotKey,
            TufKey timestampKey,
            Clock clock) {
        RepoEditor editor =
                RepoEditor.create(gun, rootKeys, rootThreshold, targetsKey, snapshotKey, timestampKey, clock);
        Signed<Root> newRoot = cast(editor.buildUnsigned().get("root"), Root.class);
        try {
            Plan.checkInit(newRoot);
        } catch (BundleTamperedException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return new Bundle(
                Bundle.FORMAT_VERSION,
                gun,
                Operation.INIT,
                now(clock),
                Map.of(),
                List.of(),
                Map.of("root", newRoot),
                Plan.initSummary(gun, newRoot));
    }

    /**
     * The offline side's check of an {@code init} bundle before anything is signed: it has no base and no
     * root chain, its root is what {@link #prepareInit} makes (plan), not expired, described by its summary,
     * and every signature already in it is by one of its root keys and verifies. There is no trusted root to
     * check it against: the custodian checks the summary's root keys (their own, from
     * {@code ceremony root-cert}) before signing.
     */
    public static Review verifyInitForSigning(Bundle bundle, Clock clock) throws TufException {
        Map<String, List<TufKey>> keys = checkInitContents(bundle, clock);
        return new Review(bundle, null, bundle.summary(), keys);
    }

    /**
     * The online side's check of an {@code init} bundle, and the files to publish: the bundle checks out
     * ({@link #verifyInitForSigning}'s checks); its root is signed by a threshold of its own root keys
     * ({@code SignatureThresholdException}) and not expired. Targets v1 (empty) and snapshot v1 are signed
     * with {@code ring}; the snapshot is left to the server when the ring does not hold its key. The server
     * checks the timestamp key when it gets the files.
     */
    public static PublishSet verifyInitForPublish(Bundle bundle, KeyRing ring, Clock clock) throws TufException {
        checkInitContents(bundle, clock);
        Signed<Root> root = cast(bundle.changes().get("root"), Root.class);
        TrustedMetadata check = TrustedMetadata.fromTrustedRoot(bundle.gun(), root.toBytes(), TrustPinning.TOFU, clock);
        check.checkRootFresh();
        Root r = root.signed();
        RepoEditor editor = RepoEditor.create(
                bundle.gun(),
                List.copyOf(r.keysOf("root").values()),
                r.role("root").threshold(),
                only(r, "targets"),
                only(r, "snapshot"),
                only(r, "timestamp"),
                clock);
        return editor.buildPublish(ring, Map.of("root", root));
    }

    private static TufKey only(Root r, String role) throws BundleTamperedException {
        if (r.role(role).keyIds().size() != 1) {
            throw new BundleTamperedException(
                    Kind.PLAN,
                    "root",
                    "init makes one " + role + " key, the root lists "
                            + r.role(role).keyIds().size());
        }
        return r.keysOf(role).values().iterator().next();
    }

    private static Map<String, List<TufKey>> checkInitContents(Bundle bundle, Clock clock) throws TufException {
        if (bundle.operation() != Operation.INIT) {
            throw new BundleTamperedException(
                    Kind.PLAN, null, bundle.operation().word() + " is not an init bundle");
        }
        if (!bundle.base().isEmpty() || !bundle.rootChain().isEmpty()) {
            throw new BundleTamperedException(Kind.PLAN, null, "an init bundle has no base and no root chain");
        }
        if (!bundle.changes().keySet().equals(Plan.roles(Operation.INIT))) {
            throw new BundleTamperedException(
                    Kind.PLAN,
                    null,
                    "init signs " + Plan.roles(Operation.INIT) + ", the bundle has "
                            + bundle.changes().keySet());
        }
        Signed<Root> newRoot = cast(bundle.changes().get("root"), Root.class);
        Plan.checkInit(newRoot);
        if (!newRoot.signed().expires().isAfter(now(clock))) {
            throw new BundleTamperedException(
                    Kind.PLAN,
                    "root",
                    "the new root expires " + newRoot.signed().expires() + ", which is not after now");
        }
        List<String> expected = Plan.initSummary(bundle.gun(), newRoot);
        if (!expected.equals(bundle.summary())) {
            throw new BundleTamperedException(
                    Kind.SUMMARY,
                    null,
                    "the summary does not describe the new metadata; it should read: " + String.join(" | ", expected));
        }
        Map<String, TufKey> rootKeys = newRoot.signed().keysOf("root");
        for (Signature sig : newRoot.signatures()) {
            TufKey k = rootKeys.get(sig.keyId());
            if (k == null) {
                throw new BundleTamperedException(
                        Kind.SIGNATURE,
                        "root",
                        "signature by " + sig.keyId() + ", which is not a root key of the new root");
            }
            if (!SignatureVerifier.verify(k, sig, newRoot.canonical(), "root")) {
                throw new BundleTamperedException(
                        Kind.SIGNATURE, "root", "signature by " + sig.keyId() + " does not verify over the new root");
            }
        }
        return Map.of("root", List.copyOf(rootKeys.values()));
    }

    /**
     * The offline side's check before anything is signed. In order: the GUN is the trusted one's
     * ({@link WrongGunException}); the base root is not older than the trusted root
     * ({@link StaleBundleException}) and is the trusted root or follows from it through the bundle's root
     * chain ({@link BaseMismatchException}); a base targets is signed by the base root's targets keys and
     * not older than a trusted targets; the new metadata is what the operation makes of the base
     * ({@link BundleTamperedException} {@code PLAN}) and not expired; the summary is the one the metadata
     * gives ({@code SUMMARY}); every signature already in the bundle verifies ({@code SIGNATURE}).
     *
     * @param trusted the signer's trusted state for the repository (at least its root)
     */
    public static Review verifyForSigning(Bundle bundle, TrustedMetadata trusted, Clock clock) throws TufException {
        refuseInit(bundle);
        if (!bundle.gun().equals(trusted.gun())) {
            throw new WrongGunException(trusted.gun(), bundle.gun());
        }
        Signed<Root> baseRoot = baseRoot(bundle, clock);
        Signed<Root> trustedRoot = trusted.root();
        int tv = trustedRoot.version();
        int bv = baseRoot.version();
        if (bv < tv) {
            throw new StaleBundleException("root", tv, bv);
        }
        if (bv == tv) {
            if (!Arrays.equals(baseRoot.canonical(), trustedRoot.canonical())) {
                throw new BaseMismatchException("root", tv, bv, "same version, other contents than the trusted root");
            }
        } else {
            walkChain(bundle, trusted.gun(), trustedRoot, baseRoot, clock);
        }
        Signed<Targets> baseTargets = baseTargets(bundle, baseRoot);
        if (baseTargets != null) {
            Optional<Signed<Targets>> t = trusted.targets("targets");
            if (t.isPresent() && baseTargets.version() < t.get().version()) {
                throw new StaleBundleException("targets", t.get().version(), baseTargets.version());
            }
        }
        Map<String, List<TufKey>> keys = checkContents(bundle, baseRoot, baseTargets, clock);
        return new Review(bundle, baseRoot, bundle.summary(), keys);
    }

    /**
     * Adds a signature over each role's new metadata by every key of {@code ring} that counts for it
     * ({@link Review#signingKeys()}), replacing an earlier signature by the same key.
     */
    public static Bundle addSignatures(Review review, KeyRing ring) throws SigningException {
        Bundle out = review.bundle();
        for (Map.Entry<String, List<TufKey>> e : review.signingKeys().entrySet()) {
            List<Signer> signers = new ArrayList<>();
            for (TufKey k : e.getValue()) {
                ring.find(k).ifPresent(signers::add);
            }
            if (!signers.isEmpty()) {
                out = out.withChange(
                        e.getKey(), Signing.addSignatures(out.changes().get(e.getKey()), signers));
            }
        }
        return out;
    }

    /** {@link #addSignatures(Review, KeyRing)} with {@link KeyRing#of}. */
    public static Bundle addSignatures(Review review, List<? extends Signer> signers) throws SigningException {
        return addSignatures(review, KeyRing.of(signers));
    }

    /**
     * The online side's check before publishing, and the files to publish. In order: the GUN is the
     * repository's ({@link WrongGunException}); the server's root (and targets, when it changes) is still
     * the base the bundle was prepared on ({@link ServerMovedException}); the bundle agrees with itself
     * (plan, summary, every signature valid: {@link BundleTamperedException}); non-root roles get
     * signatures from {@code ring} where it holds their keys; the new root is signed by a threshold of the
     * current root's keys and of its own ({@code RootRotationException}) and not expired; each other role
     * meets its threshold ({@code SignatureThresholdException}). The snapshot is signed with {@code ring}
     * if it holds the snapshot key, else the server makes it.
     *
     * @param current the repository as just verified from the server
     */
    public static PublishSet verifyForPublish(Bundle bundle, Repository current, KeyRing ring, Clock clock)
            throws TufException {
        refuseInit(bundle);
        if (!bundle.gun().equals(current.gun())) {
            throw new WrongGunException(current.gun(), bundle.gun());
        }
        Signed<Root> baseRoot = baseRoot(bundle, clock);
        if (current.root().version() != baseRoot.version()
                || !Arrays.equals(current.root().canonical(), baseRoot.canonical())) {
            throw new ServerMovedException(
                    "root", baseRoot.version(), current.root().version());
        }
        Signed<Targets> baseTargets = baseTargets(bundle, baseRoot);
        if (baseTargets != null) {
            Signed<Targets> now = current.targetsRole("targets")
                    .orElseThrow(() -> new ServerMovedException("targets", baseTargets.version(), 0));
            if (now.version() != baseTargets.version() || !Arrays.equals(now.canonical(), baseTargets.canonical())) {
                throw new ServerMovedException("targets", baseTargets.version(), now.version());
            }
        }
        Map<String, List<TufKey>> keys = checkContents(bundle, baseRoot, baseTargets, clock);
        Bundle signed = bundle;
        for (String role : bundle.changes().keySet()) {
            if (!"root".equals(role)) {
                List<Signer> signers = new ArrayList<>();
                for (TufKey k : keys.get(role)) {
                    if (!bundle.signedBy(role).contains(k.id())) {
                        ring.find(k).ifPresent(signers::add);
                    }
                }
                signed = signed.withChange(
                        role, Signing.addSignatures(signed.changes().get(role), signers));
            }
        }
        // TUF 5.3.4 as a client holding the current root will check it: threshold of the old and of the new root keys
        Signed<Root> newRoot = cast(signed.changes().get("root"), Root.class);
        TrustedMetadata check =
                TrustedMetadata.fromTrustedRoot(current.gun(), current.root().toBytes(), TrustPinning.TOFU, clock);
        check.updateRoot(newRoot.toBytes());
        check.checkRootFresh();
        for (Map.Entry<String, Signed<? extends Metadata>> e : signed.changes().entrySet()) {
            if (!"root".equals(e.getKey())) {
                Root r = newRoot.signed();
                SignatureVerifier.verifyThreshold(
                        e.getKey(),
                        e.getValue().canonical(),
                        e.getValue().signatures(),
                        r.keysOf(e.getKey()),
                        r.role(e.getKey()).threshold());
            }
        }
        RepoEditor editor = RepoEditor.load(current, clock);
        for (String role : signed.changes().keySet()) {
            editor.witness(role);
        }
        return editor.buildPublish(ring, signed.changes());
    }

    /**
     * Plan, expiry, summary and existing signatures; returns role → the keys whose signatures count.
     */
    private static Map<String, List<TufKey>> checkContents(
            Bundle bundle, Signed<Root> baseRoot, Signed<Targets> baseTargets, Clock clock) throws TufException {
        if (!bundle.changes().keySet().equals(Plan.roles(bundle.operation()))) {
            throw new BundleTamperedException(
                    Kind.PLAN,
                    null,
                    bundle.operation().word() + " signs " + Plan.roles(bundle.operation()) + ", the bundle has "
                            + bundle.changes().keySet());
        }
        Signed<Root> newRoot = cast(bundle.changes().get("root"), Root.class);
        Signed<Targets> newTargets =
                bundle.changes().containsKey("targets") ? cast(bundle.changes().get("targets"), Targets.class) : null;
        Plan.check(bundle.operation(), baseRoot, baseTargets, newRoot, newTargets);
        OffsetDateTime now = now(clock);
        if (!newRoot.signed().expires().isAfter(now)) {
            throw new BundleTamperedException(
                    Kind.PLAN,
                    "root",
                    "the new root expires " + newRoot.signed().expires() + ", which is not after now");
        }
        if (newTargets != null && !newTargets.signed().expires().isAfter(now)) {
            throw new BundleTamperedException(
                    Kind.PLAN,
                    "targets",
                    "the new targets expires " + newTargets.signed().expires() + ", which is not after now");
        }
        List<String> expected =
                Plan.summary(bundle.gun(), bundle.operation(), baseRoot, baseTargets, newRoot, newTargets);
        if (!expected.equals(bundle.summary())) {
            throw new BundleTamperedException(
                    Kind.SUMMARY,
                    null,
                    "the summary does not describe the new metadata; it should read: " + String.join(" | ", expected));
        }
        Map<String, List<TufKey>> keys = new LinkedHashMap<>();
        Map<String, TufKey> rootKeys = new LinkedHashMap<>(baseRoot.signed().keysOf("root"));
        rootKeys.putAll(newRoot.signed().keysOf("root"));
        keys.put("root", List.copyOf(rootKeys.values()));
        if (newTargets != null) {
            keys.put("targets", List.copyOf(newRoot.signed().keysOf("targets").values()));
        }
        for (Map.Entry<String, Signed<? extends Metadata>> e : bundle.changes().entrySet()) {
            String role = e.getKey();
            Map<String, TufKey> allowed = new LinkedHashMap<>();
            keys.get(role).forEach(k -> allowed.put(k.id(), k));
            for (Signature sig : e.getValue().signatures()) {
                TufKey k = allowed.get(sig.keyId());
                if (k == null) {
                    throw new BundleTamperedException(
                            Kind.SIGNATURE,
                            role,
                            "signature by " + sig.keyId() + ", which is not a key that signs " + role + " here");
                }
                if (!SignatureVerifier.verify(k, sig, e.getValue().canonical(), role)) {
                    throw new BundleTamperedException(
                            Kind.SIGNATURE,
                            role,
                            "signature by " + sig.keyId() + " does not verify over the new " + role);
                }
            }
        }
        return keys;
    }

    private static void refuseInit(Bundle bundle) throws BundleTamperedException {
        if (bundle.operation() == Operation.INIT) {
            throw new BundleTamperedException(
                    Kind.PLAN,
                    "root",
                    "an init bundle starts " + bundle.gun()
                            + " and builds on no existing repository (verifyInitForSigning / verifyInitForPublish)");
        }
    }

    /** Root by root from the trusted one through the bundle's chain to its base (TUF 5.3 for each step). */
    private static void walkChain(
            Bundle bundle, String gun, Signed<Root> trustedRoot, Signed<Root> baseRoot, Clock clock)
            throws TufException {
        int tv = trustedRoot.version();
        int bv = baseRoot.version();
        Map<Integer, byte[]> byVersion = new LinkedHashMap<>();
        for (byte[] r : bundle.rootChain()) {
            try {
                byVersion.put(Signed.parse(r, "root", MetaType.ROOT).version(), r);
            } catch (MalformedMetadataException e) {
                throw new MalformedBundleException("root_chain", e.getMessage(), e);
            }
        }
        TrustedMetadata walk = TrustedMetadata.fromTrustedRoot(gun, trustedRoot.toBytes(), TrustPinning.TOFU, clock);
        for (int v = tv + 1; v < bv; v++) {
            byte[] r = byVersion.get(v);
            if (r == null) {
                throw new BaseMismatchException(
                        "root",
                        tv,
                        bv,
                        "the bundle's root chain lacks version " + v + "; prepare it with the roots from version "
                                + (tv + 1));
            }
            try {
                walk.updateRoot(r);
            } catch (TufException e) {
                throw new BaseMismatchException(
                        "root", tv, bv, "root version " + v + " of the chain: " + e.getMessage());
            }
        }
        try {
            walk.updateRoot(bundle.base().get("root").file());
        } catch (TufException e) {
            throw new BaseMismatchException("root", tv, bv, e.getMessage());
        }
    }

    private static Signed<Root> baseRoot(Bundle bundle, Clock clock) throws TufException {
        Bundle.BaseFile f = bundle.base().get("root");
        if (f == null) {
            throw new MalformedBundleException("base.root", "missing");
        }
        Signed<Root> r = Signed.parse(f.file(), "root", MetaType.ROOT);
        // the base must stand on its own: signed by a threshold of its own root keys
        TrustedMetadata.fromTrustedRoot(bundle.gun(), f.file(), TrustPinning.TOFU, clock);
        return r;
    }

    private static Signed<Targets> baseTargets(Bundle bundle, Signed<Root> baseRoot) throws TufException {
        Bundle.BaseFile f = bundle.base().get("targets");
        if (f == null) {
            return null;
        }
        Signed<Targets> t = Signed.parse(f.file(), "targets", MetaType.TARGETS);
        Root r = baseRoot.signed();
        SignatureVerifier.verifyThreshold(
                "targets",
                t.canonical(),
                t.signatures(),
                r.keysOf("targets"),
                r.role("targets").threshold());
        return t;
    }

    @SuppressWarnings("unchecked")
    private static <T extends Metadata> Signed<T> cast(Signed<? extends Metadata> s, Class<T> type) {
        if (!type.isInstance(s.signed())) {
            throw new IllegalArgumentException(s.role() + " is not " + type.getSimpleName() + " metadata");
        }
        return (Signed<T>) s;
    }

    private static OffsetDateTime now(Clock clock) {
        return OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
    }
}
