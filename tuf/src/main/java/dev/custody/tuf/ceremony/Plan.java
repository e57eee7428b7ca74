package dev.custody.tuf.ceremony;

import dev.custody.tuf.UnsupportedKeyTypeException;
import dev.custody.tuf.canonical.CanonicalJson;
import dev.custody.tuf.ceremony.BundleTamperedException.Kind;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.model.GoTime;
import dev.custody.tuf.model.KeyTypes;
import dev.custody.tuf.model.RoleKeys;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.Targets;
import dev.custody.tuf.model.TufKey;
import java.security.cert.X509Certificate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What an operation may change, and the summary in words, both computed from the base and the new
 * metadata alone, so the online and the offline side derive the same and a changed bundle is noticed.
 */
final class Plan {
    private Plan() {}

    /** The roles an operation signs anew. */
    static Set<String> roles(Operation op) {
        return op == Operation.ROTATE_TARGETS ? Set.of("root", "targets") : Set.of("root");
    }

    /** The top-level role whose keys the operation changes, or null ({@link Operation#RESIGN_ROOT}). */
    static String rotated(Operation op) {
        return switch (op) {
            case ROTATE_ROOT -> "root";
            case ROTATE_TARGETS -> "targets";
            case ROTATE_SNAPSHOT -> "snapshot";
            case RESIGN_ROOT, INIT -> null;
        };
    }

    /**
     * Checks that the new metadata is what {@code op} makes of the base: root version + 1; keys and
     * thresholds unchanged except the rotated role's, which must change; no key no role uses; for
     * {@link Operation#ROTATE_TARGETS}, targets unchanged but for version + 1 and expiry.
     */
    static void check(
            Operation op,
            Signed<Root> baseRoot,
            Signed<Targets> baseTargets,
            Signed<Root> newRoot,
            Signed<Targets> newTargets)
            throws BundleTamperedException {
        if (op == Operation.INIT) {
            throw plan("root", "init starts a repository and has no base to check against");
        }
        Root b = baseRoot.signed();
        Root n = newRoot.signed();
        if (n.version() != b.version() + 1) {
            throw plan("root", "new root is version " + n.version() + ", the base is version " + b.version());
        }
        if (n.consistentSnapshot() != b.consistentSnapshot() || !n.extra().equals(b.extra())) {
            throw plan("root", "fields other than keys, roles, version and expiry changed");
        }
        if (!n.roles().keySet().equals(b.roles().keySet())) {
            throw plan(
                    "root",
                    "the set of roles changed: " + b.roles().keySet() + " → "
                            + n.roles().keySet());
        }
        String rotated = rotated(op);
        for (String role : b.roles().keySet()) {
            boolean same = n.role(role).equals(b.role(role)) && n.keysOf(role).equals(b.keysOf(role));
            if (role.equals(rotated) && same) {
                throw plan("root", op.word() + " leaves the " + role + " keys as they are");
            }
            if (!role.equals(rotated) && !same) {
                throw plan("root", op.word() + " may not change the " + role + " keys or threshold");
            }
        }
        checkKeyList(n);
        if (op == Operation.ROTATE_TARGETS) {
            if (baseTargets == null || newTargets == null) {
                throw plan("targets", "rotate-targets needs the base and the new targets");
            }
            Targets bt = baseTargets.signed();
            Targets nt = newTargets.signed();
            if (nt.version() != bt.version() + 1) {
                throw plan(
                        "targets", "new targets is version " + nt.version() + ", the base is version " + bt.version());
            }
            byte[] expected = CanonicalJson.encode(
                    bt.withVersion(nt.version()).withExpires(nt.expires()).toJson());
            if (!Arrays.equals(expected, newTargets.canonical())) {
                throw plan("targets", "the targets content changed; rotate-targets only re-signs it");
            }
        } else if (newTargets != null) {
            throw plan("targets", op.word() + " does not re-sign targets");
        }
    }

    /**
     * Checks a new repository's root ({@link Operation#INIT}): version 1; exactly the four top-level roles,
     * each with a threshold it can meet; every listed key used by a role and listed under its own ID; the
     * root keys are certificates (Notary counts nothing else for root).
     */
    static void checkInit(Signed<Root> newRoot) throws BundleTamperedException {
        Root n = newRoot.signed();
        if (n.version() != 1) {
            throw plan("root", "a new repository's root is version 1, this one is version " + n.version());
        }
        if (!n.roles().keySet().equals(Set.copyOf(Root.BASE_ROLES))) {
            throw plan("root", "the roles are " + n.roles().keySet() + ", not " + Root.BASE_ROLES);
        }
        for (String role : Root.BASE_ROLES) {
            RoleKeys r = n.role(role);
            if (r.threshold() < 1 || r.threshold() > r.keyIds().size()) {
                throw plan(
                        "root",
                        role + " threshold " + r.threshold() + " of "
                                + r.keyIds().size() + " keys");
            }
        }
        checkKeyList(n);
        for (TufKey k : n.keysOf("root").values()) {
            if (!KeyTypes.isX509(k.keyType())) {
                throw plan("root", "root key " + k.id() + " is " + k.keyType() + ", not a certificate");
            }
        }
    }

    /** Every key in the root's key list is used by a role and listed under its own ID. */
    private static void checkKeyList(Root n) throws BundleTamperedException {
        Set<String> used =
                n.roles().values().stream().flatMap(r -> r.keyIds().stream()).collect(Collectors.toSet());
        if (!used.equals(n.keys().keySet())) {
            throw plan("root", "the key list holds keys no role uses, or misses some");
        }
        for (Map.Entry<String, TufKey> e : n.keys().entrySet()) {
            if (!e.getKey().equals(e.getValue().id())) {
                throw plan("root", "key " + e.getKey() + " is listed under another ID than its own");
            }
        }
    }

    /** The summary lines of {@link Operation#INIT}: the new root's keys, and whose signatures it needs. */
    static List<String> initSummary(String gun, Signed<Root> newRoot) {
        Root n = newRoot.signed();
        List<String> out = new ArrayList<>();
        out.add(gun + ": " + Operation.INIT.word());
        out.add("root v" + n.version() + " (a new repository); expires " + GoTime.format(n.expires()));
        for (String role : Root.BASE_ROLES) {
            RoleKeys r = n.role(role);
            out.add(role + " keys: " + ids(new LinkedHashSet<>(r.keyIds())) + "; threshold " + r.threshold() + " of "
                    + r.keyIds().size());
        }
        for (TufKey k : n.keysOf("root").values()) {
            out.add(certificateLine(k, n));
        }
        out.add("needs signatures: " + n.role("root").threshold() + " of the new root keys ("
                + ids(n.keysOf("root").keySet()) + ")");
        return out;
    }

    /** The summary lines: what changes, and whose signatures the new metadata needs. */
    static List<String> summary(
            String gun,
            Operation op,
            Signed<Root> baseRoot,
            Signed<Targets> baseTargets,
            Signed<Root> newRoot,
            Signed<Targets> newTargets) {
        Root b = baseRoot.signed();
        Root n = newRoot.signed();
        List<String> out = new ArrayList<>();
        out.add(gun + ": " + op.word());
        out.add("root v" + b.version() + " → v" + n.version() + "; expires " + GoTime.format(n.expires()) + " (was "
                + GoTime.format(b.expires()) + ")");
        for (String role : Root.BASE_ROLES) {
            out.add(keyLine(role, b, n));
        }
        if (newTargets != null && baseTargets != null) {
            out.add("targets v" + baseTargets.version() + " → v" + newTargets.version() + "; content unchanged ("
                    + newTargets.signed().targets().size() + " targets); expires "
                    + GoTime.format(newTargets.signed().expires()));
        }
        for (TufKey k : n.keysOf("root").values()) {
            out.add(certificateLine(k, n));
        }
        out.add("needs signatures: " + b.role("root").threshold() + " of the current root keys ("
                + ids(b.keysOf("root").keySet()) + ") and " + n.role("root").threshold() + " of the new root keys ("
                + ids(n.keysOf("root").keySet()) + ")");
        if (newTargets != null) {
            out.add("needs signatures: " + n.role("targets").threshold() + " of the new targets keys ("
                    + ids(n.keysOf("targets").keySet()) + ")");
        }
        return out;
    }

    private static String keyLine(String role, Root b, Root n) {
        RoleKeys br = b.role(role);
        RoleKeys nr = n.role(role);
        Set<String> before = new LinkedHashSet<>(br.keyIds());
        Set<String> after = new LinkedHashSet<>(nr.keyIds());
        String threshold = nr.threshold() + " of " + nr.keyIds().size();
        if (before.equals(after) && br.threshold() == nr.threshold()) {
            return role + " keys unchanged: " + ids(after) + "; threshold " + threshold;
        }
        Set<String> removed = new TreeSet<>(before);
        removed.removeAll(after);
        Set<String> added = new TreeSet<>(after);
        added.removeAll(before);
        Set<String> kept = new TreeSet<>(after);
        kept.retainAll(new HashSet<>(before));
        return role + " keys: " + (removed.isEmpty() ? "" : "removed " + ids(removed) + "; ")
                + (added.isEmpty() ? "" : "added " + ids(added) + "; ")
                + (kept.isEmpty() ? "" : "kept " + ids(kept) + "; ")
                + "threshold " + threshold + " (was " + br.threshold() + " of "
                + br.keyIds().size() + ")";
    }

    /**
     * When a new root key's certificate stops being valid, and a warning when that is before the new
     * root expires (Notary no longer counts that key after it; enough such keys and the root is dead).
     */
    private static String certificateLine(TufKey key, Root n) {
        String id = ids(Set.of(key.id()));
        if (!KeyTypes.isX509(key.keyType())) {
            return "root key " + id + " is " + key.keyType() + ", not a certificate; Notary only counts certificates";
        }
        try {
            X509Certificate cert = PublicKeys.leafCertificate(key, "root");
            OffsetDateTime notAfter =
                    OffsetDateTime.ofInstant(cert.getNotAfter().toInstant(), ZoneOffset.UTC);
            String line = "root key " + id + " certificate valid until " + GoTime.format(notAfter);
            return notAfter.isBefore(n.expires()) ? "WARNING: " + line + ", before the new root expires" : line;
        } catch (UnsupportedKeyTypeException e) {
            return "WARNING: root key " + id + " has no readable certificate: " + e.getMessage();
        }
    }

    /** Key IDs shortened for reading: the first 16 hex digits. */
    static String ids(Set<String> ids) {
        return new TreeSet<>(ids)
                .stream()
                        .map(id -> id.length() > 16 ? id.substring(0, 16) + "…" : id)
                        .collect(Collectors.joining(", "));
    }

    private static BundleTamperedException plan(String role, String message) {
        return new BundleTamperedException(Kind.PLAN, role, message);
    }
}
