package dev.custody.tuf.repo;

import dev.custody.tuf.DelegationPathException;
import dev.custody.tuf.MissingMetadataException;
import dev.custody.tuf.SignatureThresholdException;
import dev.custody.tuf.TufException;
import dev.custody.tuf.model.DelegatedRole;
import dev.custody.tuf.model.Delegations;
import dev.custody.tuf.model.FileMeta;
import dev.custody.tuf.model.Metadata;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.model.RoleKeys;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.Snapshot;
import dev.custody.tuf.model.Targets;
import dev.custody.tuf.model.Timestamp;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.sign.Signer;
import dev.custody.tuf.sign.Signing;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Offline edits of one repository, turned into the set of signed files a publish sends
 * ({@link #buildPublish(KeyRing)}). Editing is pure; signing happens only in {@code buildPublish}, with
 * the signers a {@link KeyRing} finds for each role's keys.
 *
 * <p>Call sequence: {@link #load(Repository, Clock)} (a repository just verified by the updater) or
 * {@link #create} (init) → edits → {@link #buildPublish} → send {@link PublishSet#files()} to the server →
 * on success, update again to get the server's timestamp (and snapshot when server-managed).
 *
 * <p>As Notary does: each changed role is published with version + 1 and a fresh expiry (root 10 years,
 * targets roles and snapshot 3 years of 365 days); the snapshot is re-signed whenever root or a targets
 * role changed, if this side holds a snapshot key (else the server makes it); the timestamp is always
 * the server's. A root key rotation is signed by the new root key and cross-signed by the old one.
 */
public final class RepoEditor {
    public static final Duration ROOT_EXPIRY = Duration.ofDays(3650);
    public static final Duration TARGETS_EXPIRY = Duration.ofDays(3 * 365);
    public static final Duration SNAPSHOT_EXPIRY = Duration.ofDays(3 * 365);

    private final String gun;
    private final Clock clock;
    private final Signed<Root> publishedRoot;
    private final Signed<Timestamp> timestamp;
    private final Signed<Snapshot> publishedSnapshot;
    private final Map<String, Signed<Targets>> published;
    private Root root;
    private boolean rootDirty;
    private boolean snapshotDirty;
    private final List<TufKey> crossSigningKeys = new ArrayList<>();
    private int crossSigningThreshold;
    private final LinkedHashMap<String, Targets> targets = new LinkedHashMap<>();
    private final Set<String> dirty = new LinkedHashSet<>();
    private final Set<String> removed = new TreeSet<>();
    private final Map<String, Duration> expiry = new HashMap<>();

    private RepoEditor(
            String gun,
            Clock clock,
            Signed<Root> publishedRoot,
            Root root,
            Signed<Timestamp> timestamp,
            Signed<Snapshot> publishedSnapshot,
            Map<String, Signed<Targets>> published) {
        this.gun = gun;
        this.clock = clock;
        this.publishedRoot = publishedRoot;
        this.root = root;
        this.timestamp = timestamp;
        this.publishedSnapshot = publishedSnapshot;
        this.published = new LinkedHashMap<>(published);
        published.forEach((role, s) -> targets.put(role, s.signed()));
    }

    /** Edits on a repository as verified from the server (or as a previous publish left it). */
    public static RepoEditor load(Repository repo, Clock clock) {
        return new RepoEditor(
                repo.gun(),
                clock,
                repo.root(),
                repo.root().signed(),
                repo.timestamp(),
                repo.snapshot(),
                repo.targets());
    }

    /**
     * A new repository ({@code notary init}): root with the given four keys (threshold 1 each), empty
     * targets, and a snapshot (signed here if the ring holds {@code snapshotKey}, else left to the server).
     *
     * @param rootKey the root certificate key ({@code ecdsa-x509}, see {@code RootCertificates})
     * @param timestampKey the server's timestamp key ({@link ServerKeys#get})
     */
    public static RepoEditor create(
            String gun, TufKey rootKey, TufKey targetsKey, TufKey snapshotKey, TufKey timestampKey, Clock clock) {
        return create(gun, List.of(rootKey), 1, targetsKey, snapshotKey, timestampKey, clock);
    }

    /**
     * A new repository whose root role is a threshold of several root keys, typically each on its own
     * token: root.json lists every key in {@code rootKeys} under the root role with {@code rootThreshold},
     * and {@link #buildPublish} needs at least that many of them in the ring. Targets, snapshot and
     * timestamp keep threshold 1, as Notary makes them.
     *
     * @param rootKeys the root certificate keys ({@code ecdsa-x509}), distinct
     * @param rootThreshold how many of them must sign each root, 1 to {@code rootKeys.size()}
     */
    public static RepoEditor create(
            String gun,
            List<TufKey> rootKeys,
            int rootThreshold,
            TufKey targetsKey,
            TufKey snapshotKey,
            TufKey timestampKey,
            Clock clock) {
        requireThreshold(rootKeys, rootThreshold);
        OffsetDateTime now = now(clock);
        Map<String, TufKey> keys = new LinkedHashMap<>();
        Map<String, RoleKeys> roles = new LinkedHashMap<>();
        rootKeys.forEach(k -> keys.put(k.id(), k));
        roles.put("root", new RoleKeys(rootKeys.stream().map(TufKey::id).toList(), rootThreshold));
        for (var e : Map.of("targets", targetsKey, "snapshot", snapshotKey, "timestamp", timestampKey)
                .entrySet()) {
            keys.put(e.getValue().id(), e.getValue());
            roles.put(e.getKey(), new RoleKeys(List.of(e.getValue().id()), 1));
        }
        Root root = new Root(0, now.plus(ROOT_EXPIRY), false, keys, roles, Map.of());
        RepoEditor ed = new RepoEditor(gun, clock, null, root, null, null, Map.of());
        ed.rootDirty = true;
        ed.snapshotDirty = true;
        ed.targets.put("targets", new Targets(0, now.plus(TARGETS_EXPIRY), Map.of(), Delegations.EMPTY, Map.of()));
        ed.dirty.add("targets");
        return ed;
    }

    public String gun() {
        return gun;
    }

    /** The root as edited so far (unsigned). */
    public Root root() {
        return root;
    }

    /** A targets role as edited so far. */
    public Optional<Targets> targets(String role) {
        return Optional.ofNullable(targets.get(role));
    }

    /** Roles that will be re-signed ({@code root}, targets roles, {@code snapshot}). */
    public Set<String> changedRoles() {
        Set<String> out = new LinkedHashSet<>();
        if (rootDirty) {
            out.add("root");
        }
        out.addAll(dirty);
        if (snapshotDirty || rootDirty || !dirty.isEmpty() || !removed.isEmpty()) {
            out.add("snapshot");
        }
        return out;
    }

    /**
     * Adds (or replaces) a target in {@code role} ({@code targets} or a delegation already delegated to).
     *
     * @throws DelegationPathException if a delegated role may not sign this name
     */
    public RepoEditor addTarget(String role, String name, FileMeta meta) throws TufException {
        DelegationEdits.requirePrintable(name);
        Targets t = targetsForEdit(role);
        DelegationEdits.requireAllowed(targets, role, List.of(name));
        targets.put(role, t.withTarget(name, meta));
        dirty.add(role);
        return this;
    }

    /**
     * Adds (or replaces) many targets in {@code role} at once, as {@link #addTarget} does for one; the
     * role's map is copied once, so a batch of 10,000 targets costs one copy rather than 10,000.
     *
     * @throws DelegationPathException if a delegated role may not sign one of the names (nothing is added)
     */
    public RepoEditor addTargets(String role, Map<String, FileMeta> add) throws TufException {
        add.keySet().forEach(DelegationEdits::requirePrintable);
        Targets t = targetsForEdit(role);
        DelegationEdits.requireAllowed(targets, role, add.keySet());
        targets.put(role, t.withTargets(add));
        dirty.add(role);
        return this;
    }

    /** Removes a target from {@code role}; no change if it was not there. */
    public RepoEditor removeTarget(String role, String name) throws TufException {
        Targets t = targetsForEdit(role);
        if (t.targets().containsKey(name)) {
            targets.put(role, t.withoutTarget(name));
            dirty.add(role);
        }
        return this;
    }

    /**
     * Delegates {@code role} to {@code keys} for {@code paths} ({@code notary delegation add}): a new role,
     * or keys and paths merged into an existing one. The parent role is re-signed.
     */
    public RepoEditor addDelegation(String role, List<TufKey> keys, List<String> paths, int threshold)
            throws TufException {
        if (!DelegatedRole.isDelegationName(role)) {
            throw new IllegalArgumentException("not a delegation role name: " + role);
        }
        if (threshold < 1) {
            throw new IllegalArgumentException("threshold must be at least 1");
        }
        paths.forEach(DelegationEdits::requirePrintable);
        String parent = DelegatedRole.parentOf(role);
        Targets p = targetsForEdit(parent);
        Delegations d = p.delegationsOrEmpty();
        DelegationEdits.Merged m = DelegationEdits.merge(d, role, keys, paths, threshold);
        targets.put(parent, p.withDelegations(d.withRole(m.entry(), m.keys())));
        dirty.add(parent);
        return this;
    }

    /** Removes keys from a delegation ({@code notary delegation remove GUN ROLE KEYID…}). */
    public RepoEditor removeDelegationKeys(String role, List<String> keyIds) throws TufException {
        String parent = DelegatedRole.parentOf(role);
        Targets p = targetsForEdit(parent);
        Delegations d = p.delegationsOrEmpty();
        DelegatedRole e = d.role(role).orElseThrow(() -> new MissingMetadataException(role, "no such delegation"));
        List<String> ids = new ArrayList<>(e.keyIds());
        ids.removeAll(keyIds);
        targets.put(parent, p.withDelegations(d.withRole(e.withKeyIds(ids, e.threshold()), List.of())));
        dirty.add(parent);
        return this;
    }

    /** Removes a delegation and everything below it ({@code notary delegation remove GUN ROLE}). */
    public RepoEditor removeDelegation(String role) throws TufException {
        String parent = DelegatedRole.parentOf(role);
        Targets p = targetsForEdit(parent);
        if (p.delegationsOrEmpty().role(role).isEmpty()) {
            throw new MissingMetadataException(role, "no such delegation in " + parent);
        }
        targets.put(parent, p.withDelegations(p.delegationsOrEmpty().withoutRole(role)));
        dirty.add(parent);
        for (String r : List.copyOf(targets.keySet())) {
            if (r.equals(role) || r.startsWith(role + "/")) {
                targets.remove(r);
                dirty.remove(r);
                if (published.containsKey(r)) {
                    removed.add(r);
                }
            }
        }
        return this;
    }

    /** Re-sign a role unchanged, with version + 1 and a fresh expiry ({@code notary witness}). */
    public RepoEditor witness(String role) throws TufException {
        switch (role) {
            case "root" -> rootDirty = true;
            case "snapshot" -> snapshotDirty = true;
            case "timestamp" -> throw new IllegalArgumentException("the timestamp is the server's to sign");
            default -> {
                targetsForEdit(role);
                dirty.add(role);
            }
        }
        return this;
    }

    /** Publish {@code role} with this validity instead of the default. */
    public RepoEditor expiry(String role, Duration validity) {
        expiry.put(role, validity);
        if ("root".equals(role)) {
            rootDirty = true;
        } else if ("snapshot".equals(role)) {
            snapshotDirty = true;
        } else if (targets.containsKey(role)) {
            dirty.add(role);
        }
        return this;
    }

    /**
     * Rotates a top-level role to one new key ({@code notary key rotate GUN targets|snapshot|timestamp}):
     * root lists only {@code newKey} for the role; the role itself is re-signed with it (for snapshot: only
     * if the ring holds it; for a server key from {@link ServerKeys#rotate}, the server signs).
     */
    public RepoEditor rotateKey(String role, TufKey newKey) {
        if (!List.of("targets", "snapshot", "timestamp").contains(role)) {
            throw new IllegalArgumentException(
                    "rotate root with rotateRootKey, delegations with addDelegation: " + role);
        }
        root = root.withRoleKeys(role, List.of(newKey), 1);
        rootDirty = true;
        if ("targets".equals(role)) {
            dirty.add("targets");
        }
        if ("snapshot".equals(role)) {
            snapshotDirty = true;
        }
        return this;
    }

    /**
     * Rotates the root key ({@code notary key rotate GUN root}): the new root lists only {@code newRootKey}
     * and is signed by it and by the current root keys, so clients holding the old root accept it.
     */
    public RepoEditor rotateRootKey(TufKey newRootKey) {
        if (crossSigningKeys.isEmpty()) {
            crossSigningKeys.addAll(root.keysOf("root").values());
            crossSigningThreshold = root.role("root").threshold();
        }
        root = root.withRoleKeys("root", List.of(newRootKey), 1);
        rootDirty = true;
        return this;
    }

    /**
     * Rotates the root role to {@code newRootKeys} with {@code threshold} (a k-of-n root on several
     * tokens). The new root must be signed by a threshold of the root keys published before this edit
     * (so clients holding that root accept it, TUF 5.3.4) and by a threshold of its own keys;
     * {@link #buildPublish} signs with every key of either set the ring holds and fails with
     * {@link SignatureThresholdException} when either threshold cannot be met.
     *
     * @param newRootKeys the new root role's keys ({@code ecdsa-x509}); may keep some of the current ones
     * @param threshold 1 to {@code newRootKeys.size()}
     */
    public RepoEditor rotateRootKeys(List<TufKey> newRootKeys, int threshold) {
        requireThreshold(newRootKeys, threshold);
        if (crossSigningKeys.isEmpty()) {
            crossSigningKeys.addAll(root.keysOf("root").values());
            crossSigningThreshold = root.role("root").threshold();
        }
        root = root.withRoleKeys("root", List.copyOf(newRootKeys), threshold);
        rootDirty = true;
        return this;
    }

    /**
     * Replaces one root key (say, of a lost token) by {@code newKey}, keeping the other root keys and
     * the threshold: the remaining holders sign the new root ({@link #rotateRootKeys}).
     *
     * @throws IllegalArgumentException if {@code lostKeyId} is not a root key
     */
    public RepoEditor replaceRootKey(String lostKeyId, TufKey newKey) {
        Map<String, TufKey> current = root.keysOf("root");
        if (!current.containsKey(lostKeyId)) {
            throw new IllegalArgumentException("not a root key of " + gun + ": " + lostKeyId);
        }
        List<TufKey> keys = new ArrayList<>();
        for (TufKey k : current.values()) {
            keys.add(k.id().equals(lostKeyId) ? newKey : k);
        }
        return rotateRootKeys(keys, root.role("root").threshold());
    }

    /**
     * Signs every changed role and returns what to publish.
     *
     * @throws SignatureThresholdException if the ring lacks keys for a role's threshold
     */
    public PublishSet buildPublish(KeyRing ring) throws TufException {
        return buildPublish(ring, Map.of());
    }

    /**
     * The metadata {@link #buildPublish} would sign, without signatures: each changed root or targets role
     * with its new version and expiry (the snapshot is left out: it covers the signed files and is made
     * at publish). For signing elsewhere, e.g. an offline ceremony; give the result back, signed, to
     * {@link #buildPublish(KeyRing, Map)}.
     */
    public Map<String, Signed<? extends Metadata>> buildUnsigned() {
        OffsetDateTime now = now(clock);
        Map<String, Signed<? extends Metadata>> out = new LinkedHashMap<>();
        if (rootDirty) {
            out.put("root", Signed.unsigned("root", nextRoot(now)));
        }
        for (String role : dirtyInOrder()) {
            out.put(role, Signed.unsigned(role, nextTargets(role, now)));
        }
        return out;
    }

    /**
     * As {@link #buildPublish(KeyRing)}, but the roles in {@code presigned} are taken as they are (already
     * signed, e.g. collected in a ceremony; the caller has checked their signatures) instead of being
     * signed from the ring. Each must be a changed role of this editor; the snapshot is made over them.
     */
    public PublishSet buildPublish(KeyRing ring, Map<String, ? extends Signed<? extends Metadata>> presigned)
            throws TufException {
        for (String role : presigned.keySet()) {
            if (!changedRoles().contains(role) || "snapshot".equals(role)) {
                throw new IllegalArgumentException("not a changed root or targets role of this edit: " + role);
            }
        }
        OffsetDateTime now = now(clock);
        Map<String, byte[]> out = new LinkedHashMap<>();
        Signed<Root> signedRoot = publishedRoot;
        if (rootDirty) {
            signedRoot = presigned.containsKey("root")
                    ? PublishSigning.cast(presigned.get("root"), Root.class)
                    : signRoot(now, ring);
            out.put("root", signedRoot.toBytes());
        }
        Root effectiveRoot = signedRoot.signed();

        Map<String, Signed<Targets>> newTargets = new LinkedHashMap<>(published);
        removed.forEach(newTargets::remove);
        List<String> order = dirtyInOrder();
        for (String role : order) {
            if (presigned.containsKey(role)) {
                Signed<Targets> s = PublishSigning.cast(presigned.get(role), Targets.class);
                out.put(role, s.toBytes());
                newTargets.put(role, s);
                continue;
            }
            Signed<Targets> s = signTargets(role, effectiveRoot, now, ring);
            out.put(role, s.toBytes());
            newTargets.put(role, s);
        }
        // keep the order parents-before-children for the resulting repository
        Map<String, Signed<Targets>> ordered = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(newTargets.keySet());
        names.sort(Comparator.comparingInt((String r) -> r.split("/").length));
        names.forEach(n -> ordered.put(n, newTargets.get(n)));

        Signed<Snapshot> snapshot = publishedSnapshot;
        boolean snapshotNeeded = snapshotDirty || rootDirty || !dirty.isEmpty() || !removed.isEmpty();
        if (snapshotNeeded) {
            Signed<Snapshot> signed = PublishSigning.signSnapshot(
                    effectiveRoot,
                    signedRoot,
                    out,
                    order,
                    removed,
                    publishedSnapshot,
                    now.plus(expiry.getOrDefault("snapshot", SNAPSHOT_EXPIRY)),
                    now,
                    ring);
            if (signed != null) {
                snapshot = signed;
                out.put("snapshot", snapshot.toBytes());
            }
        }
        return new PublishSet(out, new Repository(gun, signedRoot, timestamp, snapshot, ordered));
    }

    /** The next root, signed by its root keys and, during a rotation, by the keys that cross-sign it. */
    private Signed<Root> signRoot(OffsetDateTime now, KeyRing ring) throws TufException {
        Root r = nextRoot(now);
        List<Signer> signers = new ArrayList<>(PublishSigning.signersFor(
                "root", r.keysOf("root").values(), r.role("root").threshold(), ring));
        if (!crossSigningKeys.isEmpty()) {
            for (Signer s : PublishSigning.signersFor("root", crossSigningKeys, crossSigningThreshold, ring)) {
                if (signers.stream().noneMatch(x -> x.keyId().equals(s.keyId()))) {
                    signers.add(s);
                }
            }
        }
        return Signing.sign("root", r, signers);
    }

    /** The next version of a targets role, signed by the keys {@code effectiveRoot} or its parent delegation names. */
    private Signed<Targets> signTargets(String role, Root effectiveRoot, OffsetDateTime now, KeyRing ring)
            throws TufException {
        Targets parent = "targets".equals(role) ? null : targets.get(DelegatedRole.parentOf(role));
        return PublishSigning.signTargets(role, nextTargets(role, now), effectiveRoot, parent, ring);
    }

    private Root nextRoot(OffsetDateTime now) {
        int v = (publishedRoot == null ? 0 : publishedRoot.signed().version()) + 1;
        return root.withVersion(v).withExpires(now.plus(expiry.getOrDefault("root", ROOT_EXPIRY)));
    }

    private Targets nextTargets(String role, OffsetDateTime now) {
        Signed<Targets> prev = published.get(role);
        int v = (prev == null ? 0 : prev.signed().version()) + 1;
        return targets.get(role).withVersion(v).withExpires(now.plus(expiry.getOrDefault(role, TARGETS_EXPIRY)));
    }

    private List<String> dirtyInOrder() {
        List<String> order = new ArrayList<>(dirty);
        order.sort(Comparator.comparingInt((String r) -> r.split("/").length));
        return order;
    }

    private static void requireThreshold(List<TufKey> keys, int threshold) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("a root role needs at least one key");
        }
        if (keys.stream().map(TufKey::id).distinct().count() != keys.size()) {
            throw new IllegalArgumentException("root keys must be distinct");
        }
        if (threshold < 1 || threshold > keys.size()) {
            throw new IllegalArgumentException("root threshold must be 1 to " + keys.size() + ", not " + threshold);
        }
    }

    private Targets targetsForEdit(String role) throws TufException {
        Targets t = targets.get(role);
        if (t != null) {
            return t;
        }
        if (!DelegatedRole.isDelegationName(role)) {
            throw new MissingMetadataException(role, "no such targets role in " + gun);
        }
        Targets parent = targets.get(DelegatedRole.parentOf(role));
        if (parent == null || parent.delegationsOrEmpty().role(role).isEmpty()) {
            throw new MissingMetadataException(role, "not delegated in " + gun);
        }
        // a delegated role's first metadata (version 1 at publish)
        Targets fresh = new Targets(0, now(clock).plus(TARGETS_EXPIRY), Map.of(), Delegations.EMPTY, Map.of());
        targets.put(role, fresh);
        return fresh;
    }

    private static OffsetDateTime now(Clock clock) {
        return OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
    }
}
