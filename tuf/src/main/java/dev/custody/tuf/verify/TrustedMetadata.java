package dev.custody.tuf.verify;

import dev.custody.tuf.DelegationPathException;
import dev.custody.tuf.ExpiredMetadataException;
import dev.custody.tuf.HashMismatchException;
import dev.custody.tuf.MalformedMetadataException;
import dev.custody.tuf.MissingMetadataException;
import dev.custody.tuf.RollbackException;
import dev.custody.tuf.RootRotationException;
import dev.custody.tuf.SignatureThresholdException;
import dev.custody.tuf.TufException;
import dev.custody.tuf.model.DelegatedRole;
import dev.custody.tuf.model.FileMeta;
import dev.custody.tuf.model.MetaType;
import dev.custody.tuf.model.Metadata;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.model.RoleKeys;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.Snapshot;
import dev.custody.tuf.model.Targets;
import dev.custody.tuf.model.Timestamp;
import dev.custody.tuf.model.TufKey;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The metadata of one repository that has been verified so far, and the checks for the next file. Pure:
 * bytes in, verified records out, no I/O; the time comes from the injected {@link Clock}.
 *
 * <p>Load order (enforced): a trusted root ({@link #bootstrap} or {@link #fromTrustedRoot}) → any number
 * of {@link #updateRoot} (each the next version) → {@link #checkRootFresh()} → {@link #updateTimestamp} →
 * {@link #updateSnapshot} → {@link #updateTargets} → {@link #updateDelegatedTargets} parents before
 * children. Version floors from a previously trusted copy are given with {@link #setFloor}.
 *
 * <p>Each check is numbered after the TUF specification (v1.0) client workflow; Notary deviations are
 * stated where they apply. A failing check throws its own {@link TufException} subclass and leaves this
 * object as it was.
 */
public final class TrustedMetadata {
    private final String gun;
    private final Clock clock;
    private final TrustPinning pinning;
    private Signed<Root> root;
    private Signed<Timestamp> timestamp;
    private Signed<Snapshot> snapshot;
    private final LinkedHashMap<String, Signed<Targets>> targets = new LinkedHashMap<>();
    private final Map<String, List<String>> effectivePaths = new HashMap<>();
    private final Map<String, Integer> floors = new HashMap<>();
    private final LinkedHashMap<String, byte[]> accepted = new LinkedHashMap<>();

    private TrustedMetadata(String gun, Clock clock, TrustPinning pinning) {
        this.gun = Objects.requireNonNull(gun, "gun");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.pinning = Objects.requireNonNull(pinning, "pinning");
    }

    /**
     * A root seen for the first time (Notary: the latest {@code root.json}, trusted on first use or by
     * the pins). Its root keys must satisfy the trust pinning and sign it to their threshold; expiry is
     * checked later by {@link #checkRootFresh()}.
     */
    public static TrustedMetadata bootstrap(String gun, byte[] rootBytes, TrustPinning pinning, Clock clock)
            throws TufException {
        TrustedMetadata t = new TrustedMetadata(gun, clock, pinning);
        Signed<Root> r = Signed.parse(rootBytes, "root", MetaType.ROOT);
        Map<String, TufKey> keys =
                RootKeys.pinned(RootKeys.usable(r.signed(), gun, clock.instant()), gun, pinning, true, clock.instant());
        SignatureVerifier.verifyThreshold(
                "root",
                r.canonical(),
                r.signatures(),
                keys,
                r.signed().role("root").threshold());
        t.root = r;
        t.accepted.put("root", rootBytes.clone());
        return t;
    }

    /**
     * The locally trusted root (TUF 5.2: loaded without an expiry check). It must still be signed by its
     * own root keys, so a corrupted store is noticed.
     */
    public static TrustedMetadata fromTrustedRoot(String gun, byte[] rootBytes, TrustPinning pinning, Clock clock)
            throws TufException {
        TrustedMetadata t = new TrustedMetadata(gun, clock, pinning);
        Signed<Root> r = Signed.parse(rootBytes, "root", MetaType.ROOT);
        SignatureVerifier.verifyThreshold(
                "root",
                r.canonical(),
                r.signatures(),
                RootKeys.usable(r.signed(), gun, null),
                r.signed().role("root").threshold());
        t.root = r;
        return t;
    }

    public String gun() {
        return gun;
    }

    public Signed<Root> root() {
        return root;
    }

    public Optional<Signed<Timestamp>> timestamp() {
        return Optional.ofNullable(timestamp);
    }

    public Optional<Signed<Snapshot>> snapshot() {
        return Optional.ofNullable(snapshot);
    }

    public Optional<Signed<Targets>> targets(String role) {
        return Optional.ofNullable(targets.get(role));
    }

    /** The files accepted since this object was made, by role, in the order accepted (latest root only). */
    public Map<String, byte[]> acceptedFiles() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        accepted.forEach((k, v) -> out.put(k, v.clone()));
        return out;
    }

    /** The lowest version this role may have (from a previously trusted copy). */
    public void setFloor(String role, int version) {
        floors.merge(role, version, Math::max);
    }

    public Optional<Integer> floor(String role) {
        return Optional.ofNullable(floors.get(role));
    }

    /**
     * TUF 5.3: the next root, {@code N+1.root.json}.
     *
     * <p>5.3.4: signed by a threshold of the trusted root's root keys, and by a threshold of its own
     * (Notary: only certificates whose CN matches the GUN count; the new ones must also be unexpired and
     * pass the trust pinning). 5.3.5: version exactly trusted + 1. 5.3.11: if the timestamp or snapshot
     * keys changed, their version floors are dropped (recovery from a fast-forward attack).
     */
    public Signed<Root> updateRoot(byte[] raw) throws TufException {
        requireNoTimestampYet("root");
        Signed<Root> next = Signed.parse(raw, "root", MetaType.ROOT);
        Root trusted = root.signed();
        int trustedVersion = trusted.version();
        int newVersion = next.signed().version();
        // 5.3.4: threshold of the trusted root's root keys
        Map<String, TufKey> oldKeys = RootKeys.usable(trusted, gun, null);
        int oldThreshold = trusted.role("root").threshold();
        try {
            SignatureVerifier.verifyThreshold("root", next.canonical(), next.signatures(), oldKeys, oldThreshold);
        } catch (SignatureThresholdException e) {
            throw new RootRotationException(trustedVersion, newVersion, oldThreshold, e.found(), true);
        }
        // 5.3.5: no rollback, no skipping
        if (newVersion != trustedVersion + 1) {
            throw new RollbackException(
                    "root",
                    trustedVersion,
                    newVersion,
                    "version " + newVersion + " where " + (trustedVersion + 1) + " was expected after trusted version "
                            + trustedVersion);
        }
        // 5.3.4 (second half): threshold of its own root keys
        Map<String, TufKey> newKeys = RootKeys.pinned(
                RootKeys.usable(next.signed(), gun, clock.instant()), gun, pinning, false, clock.instant());
        int newThreshold = next.signed().role("root").threshold();
        try {
            SignatureVerifier.verifyThreshold("root", next.canonical(), next.signatures(), newKeys, newThreshold);
        } catch (SignatureThresholdException e) {
            throw new RootRotationException(trustedVersion, newVersion, newThreshold, e.found(), false);
        }
        // 5.3.11
        if (!sameKeys(trusted, next.signed(), "timestamp")) {
            floors.remove("timestamp");
            floors.remove("snapshot");
        }
        if (!sameKeys(trusted, next.signed(), "snapshot")) {
            floors.remove("snapshot");
        }
        root = next;
        accepted.put("root", raw.clone());
        return next;
    }

    /** TUF 5.3.10: the final root must not be expired. */
    public void checkRootFresh() throws ExpiredMetadataException {
        checkExpiry("root", root.signed());
    }

    /**
     * TUF 5.4: the timestamp. 5.4.2 threshold of the root's timestamp keys; 5.4.3 version not below the
     * trusted one (equal is accepted, as Notary does); 5.4.4 not expired.
     */
    public Signed<Timestamp> updateTimestamp(byte[] raw) throws TufException {
        requireNoTimestampYet("timestamp");
        Signed<Timestamp> t = Signed.parse(raw, "timestamp", MetaType.TIMESTAMP);
        verifyTopLevel(t, "timestamp");
        checkFloor("timestamp", t.signed().version());
        checkExpiry("timestamp", t.signed());
        timestamp = t;
        accepted.put("timestamp", raw.clone());
        return t;
    }

    /** The hashes and length the timestamp (for snapshot) or the snapshot (for targets roles) gives a role. */
    public Optional<FileMeta> expectedMeta(String role) {
        if ("snapshot".equals(role)) {
            return timestamp == null ? Optional.empty() : timestamp.signed().metaFor("snapshot");
        }
        return snapshot == null ? Optional.empty() : snapshot.signed().metaFor(role);
    }

    /**
     * TUF 5.5: the snapshot. 5.5.2 length and hashes as the timestamp says; 5.5.3 threshold of the root's
     * snapshot keys; 5.5.5 version not below the trusted one (Notary's meta has no versions, so the
     * per-role version checks of 5.5.5 are not possible); 5.5.6 not expired.
     */
    public Signed<Snapshot> updateSnapshot(byte[] raw) throws TufException {
        if (timestamp == null) {
            throw new IllegalStateException("load the timestamp before the snapshot");
        }
        if (snapshot != null) {
            throw new IllegalStateException("snapshot already loaded");
        }
        FileMeta expected = timestamp
                .signed()
                .metaFor("snapshot")
                .orElseThrow(() -> new MissingMetadataException("timestamp", "no meta for snapshot"));
        checkHashes("snapshot", raw, expected);
        Signed<Snapshot> s = Signed.parse(raw, "snapshot", MetaType.SNAPSHOT);
        verifyTopLevel(s, "snapshot");
        checkFloor("snapshot", s.signed().version());
        checkExpiry("snapshot", s.signed());
        snapshot = s;
        accepted.put("snapshot", raw.clone());
        return s;
    }

    /**
     * TUF 5.6: top-level targets. 5.6.2 length and hashes as the snapshot says; 5.6.3 threshold of the
     * root's targets keys; 5.6.4 version not below the trusted one; 5.6.5 not expired.
     */
    public Signed<Targets> updateTargets(byte[] raw) throws TufException {
        requireSnapshot("targets");
        FileMeta expected = snapshot.signed()
                .metaFor("targets")
                .orElseThrow(() -> new MissingMetadataException("snapshot", "no meta for targets"));
        checkHashes("targets", raw, expected);
        Signed<Targets> t = Signed.parse(raw, "targets", MetaType.TARGETS);
        verifyTopLevel(t, "targets");
        checkFloor("targets", t.signed().version());
        checkExpiry("targets", t.signed());
        targets.put("targets", t);
        accepted.put("targets", raw.clone());
        return t;
    }

    /**
     * TUF 5.6.7 (delegations): a delegated role, after its parent. Length and hashes as the snapshot says;
     * a threshold of the keys its parent delegated to it; version not below the trusted one; not expired;
     * and every target within its effective paths. Effective paths narrow down the chain as Notary's
     * {@code RestrictDelegationPathPrefixes} does: a child path counts only if one of the parent's
     * effective paths is a prefix of it. {@code path_hash_prefixes} (unknown to Notary 0.7) allow a target
     * when the hex SHA-256 of its name starts with one of them and the parent allows it too.
     */
    public Signed<Targets> updateDelegatedTargets(byte[] raw, String role) throws TufException {
        requireSnapshot(role);
        if (!DelegatedRole.isDelegationName(role)) {
            throw new MalformedMetadataException(role, "not a delegated role name");
        }
        String parentName = DelegatedRole.parentOf(role);
        Signed<Targets> parent = targets.get(parentName);
        if (parent == null) {
            throw new IllegalStateException("load " + parentName + " before " + role);
        }
        DelegatedRole entry = parent.signed()
                .delegationsOrEmpty()
                .role(role)
                .orElseThrow(() -> new MissingMetadataException(role, parentName + " does not delegate to " + role));
        FileMeta expected = snapshot.signed()
                .metaFor(role)
                .orElseThrow(() -> new MissingMetadataException("snapshot", "no meta for " + role));
        checkHashes(role, raw, expected);
        Signed<Targets> t = Signed.parse(raw, role, MetaType.TARGETS);
        Map<String, TufKey> keys = new LinkedHashMap<>();
        for (String id : entry.keyIds()) {
            TufKey k = parent.signed().delegationsOrEmpty().keys().get(id);
            if (k != null) {
                keys.put(id, k);
            }
        }
        SignatureVerifier.verifyThreshold(role, t.canonical(), t.signatures(), keys, entry.threshold());
        checkFloor(role, t.signed().version());
        checkExpiry(role, t.signed());
        List<String> paths = effectivePaths(parentName, entry);
        for (String name : t.signed().targets().keySet()) {
            if (!allowed(role, name, paths, entry)) {
                throw new DelegationPathException(role, name, paths);
            }
        }
        effectivePaths.put(role, paths);
        targets.put(role, t);
        accepted.put(role, raw.clone());
        return t;
    }

    /** Everything verified so far, as a {@link Repository}. */
    public Repository repository() {
        return new Repository(gun, root, timestamp, snapshot, targets);
    }

    private List<String> effectivePaths(String parentName, DelegatedRole entry) {
        List<String> own = entry.paths() == null ? List.of() : entry.paths();
        if ("targets".equals(parentName)) {
            return own;
        }
        List<String> parentPaths = effectivePaths.getOrDefault(parentName, List.of());
        List<String> out = new ArrayList<>();
        for (String p : own) {
            for (String pp : parentPaths) {
                if (p.startsWith(pp)) {
                    out.add(p);
                    break;
                }
            }
        }
        return out;
    }

    private boolean allowed(String role, String target, List<String> paths, DelegatedRole entry) {
        for (String p : paths) {
            if (target.startsWith(p)) {
                return true;
            }
        }
        if (entry.pathHashPrefixes() != null
                && !entry.pathHashPrefixes().isEmpty()
                && new DelegatedRole(role, List.of(), 1, null, entry.pathHashPrefixes(), Map.of()).allows(target)) {
            String parentName = DelegatedRole.parentOf(role);
            if ("targets".equals(parentName)) {
                return true;
            }
            String grand = DelegatedRole.parentOf(parentName);
            DelegatedRole parentEntry = targets.get(grand)
                    .signed()
                    .delegationsOrEmpty()
                    .role(parentName)
                    .orElseThrow();
            return allowed(parentName, target, effectivePaths.getOrDefault(parentName, List.of()), parentEntry);
        }
        return false;
    }

    private void verifyTopLevel(Signed<? extends Metadata> s, String role) throws TufException {
        RoleKeys rk = root.signed().role(role);
        SignatureVerifier.verifyThreshold(
                role, s.canonical(), s.signatures(), root.signed().keysOf(role), rk.threshold());
    }

    private void checkFloor(String role, int version) throws RollbackException {
        Integer floor = floors.get(role);
        if (floor != null && version < floor) {
            throw new RollbackException(role, floor, version);
        }
    }

    private void checkExpiry(String role, Metadata m) throws ExpiredMetadataException {
        Instant now = clock.instant();
        Instant expires = m.expires().toInstant();
        if (expires.isBefore(now)) {
            throw new ExpiredMetadataException(role, expires, now);
        }
    }

    /**
     * Length must be the one given; every hash of a known algorithm must match and at least one must be
     * known (Notary's {@code CheckHashes}).
     */
    static void checkHashes(String role, byte[] raw, FileMeta expected) throws TufException {
        if (raw.length != expected.length()) {
            throw new HashMismatchException(
                    role, "length", Long.toString(expected.length()), Integer.toString(raw.length));
        }
        int known = 0;
        for (Map.Entry<String, String> h : expected.hashes().entrySet()) {
            String jca = switch (h.getKey()) {
                case "sha256" -> "SHA-256";
                case "sha512" -> "SHA-512";
                default -> null;
            };
            if (jca == null) {
                continue;
            }
            known++;
            byte[] want = Base64.getDecoder().decode(h.getValue());
            byte[] got = digest(jca, raw);
            if (!MessageDigest.isEqual(want, got)) {
                throw new HashMismatchException(
                        role,
                        h.getKey(),
                        HexFormat.of().formatHex(want),
                        HexFormat.of().formatHex(got));
            }
        }
        if (known == 0) {
            throw new MissingMetadataException(role, "no sha256 or sha512 hash to check it against");
        }
    }

    private static byte[] digest(String alg, byte[] data) {
        try {
            return MessageDigest.getInstance(alg).digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean sameKeys(Root a, Root b, String role) {
        RoleKeys ra = a.roles().get(role);
        RoleKeys rb = b.roles().get(role);
        return ra != null
                && rb != null
                && ra.threshold() == rb.threshold()
                && new java.util.HashSet<>(ra.keyIds()).equals(new java.util.HashSet<>(rb.keyIds()));
    }

    private void requireNoTimestampYet(String what) {
        if (timestamp != null) {
            throw new IllegalStateException(what + " after the timestamp was loaded");
        }
    }

    private void requireSnapshot(String what) {
        if (snapshot == null) {
            throw new IllegalStateException("load the snapshot before " + what);
        }
    }
}
