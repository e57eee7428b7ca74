package dev.custody.tuf.repo;

import dev.custody.tuf.DelegationPathException;
import dev.custody.tuf.model.DelegatedRole;
import dev.custody.tuf.model.Delegations;
import dev.custody.tuf.model.Targets;
import dev.custody.tuf.model.TufKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The rules {@link RepoEditor} applies to targets and delegation edits, over its map of targets roles as
 * edited so far: which names a delegated role may sign (its paths narrowed along its parents, or its path
 * hash prefixes), no control characters in names, and how new keys and paths merge into a delegation.
 */
final class DelegationEdits {
    /** A delegation entry after a merge, and the keys its parent's delegations list must hold for it. */
    record Merged(DelegatedRole entry, List<TufKey> keys) {}

    private DelegationEdits() {}

    /**
     * Checks that {@code role} may sign every name in {@code names}.
     *
     * @throws DelegationPathException for the first name it may not sign
     */
    static void requireAllowed(Map<String, Targets> targets, String role, Collection<String> names)
            throws DelegationPathException {
        List<String> paths = effectivePaths(targets, role);
        if (paths == null) {
            return;
        }
        for (String name : names) {
            if (!allowed(targets, name, paths, role)) {
                throw new DelegationPathException(role, name, paths);
            }
        }
    }

    /** Effective paths of a delegated role (narrowed along its parents, as Notary does); null for {@code targets}. */
    private static List<String> effectivePaths(Map<String, Targets> targets, String role) {
        if ("targets".equals(role)) {
            return null;
        }
        String parent = DelegatedRole.parentOf(role);
        DelegatedRole entry =
                targets.get(parent).delegationsOrEmpty().role(role).orElseThrow();
        List<String> own = entry.paths() == null ? List.of() : entry.paths();
        List<String> parentPaths = effectivePaths(targets, parent);
        if (parentPaths == null) {
            return own;
        }
        List<String> out = new ArrayList<>();
        for (String p : own) {
            if (parentPaths.stream().anyMatch(p::startsWith)) {
                out.add(p);
            }
        }
        return out;
    }

    private static boolean allowed(Map<String, Targets> targets, String name, List<String> paths, String role) {
        if (paths.stream().anyMatch(name::startsWith)) {
            return true;
        }
        DelegatedRole entry = targets.get(DelegatedRole.parentOf(role))
                .delegationsOrEmpty()
                .role(role)
                .orElseThrow();
        return entry.pathHashPrefixes() != null && entry.allows(name);
    }

    /**
     * Notary 0.7 cannot publish a name with a control character (canonical JSON carries it raw and Go's
     * json.Marshal then refuses the file), so neither do we.
     */
    static void requirePrintable(String name) {
        for (int i = 0; i < name.length(); i++) {
            if (name.charAt(i) < 0x20 || name.charAt(i) == 0x7f) {
                throw new IllegalArgumentException("control character in name: " + name.replaceAll("\\p{Cntrl}", "?"));
            }
        }
    }

    /**
     * {@code role} in {@code d} with {@code keys} and {@code paths} added to what it already has (a new
     * entry if it has none), and {@code threshold}; with the keys the parent must list for it.
     */
    static Merged merge(Delegations d, String role, List<TufKey> keys, List<String> paths, int threshold) {
        Optional<DelegatedRole> existing = d.role(role);
        List<String> ids = new ArrayList<>(existing.map(DelegatedRole::keyIds).orElse(List.of()));
        for (TufKey k : keys) {
            if (!ids.contains(k.id())) {
                ids.add(k.id());
            }
        }
        List<String> allPaths = new ArrayList<>(
                existing.map(DelegatedRole::paths).filter(Objects::nonNull).orElse(List.of()));
        for (String path : paths) {
            if (!allPaths.contains(path)) {
                allPaths.add(path);
            }
        }
        List<TufKey> allKeys = new ArrayList<>(keys);
        for (String id : ids) {
            TufKey k = d.keys().get(id);
            if (k != null && keys.stream().noneMatch(x -> x.id().equals(id))) {
                allKeys.add(k);
            }
        }
        DelegatedRole entry = existing.map(
                        e -> e.withKeyIds(ids, threshold).withPaths(allPaths.isEmpty() ? null : allPaths))
                .orElse(new DelegatedRole(role, ids, threshold, allPaths.isEmpty() ? null : allPaths));
        return new Merged(entry, allKeys);
    }
}
