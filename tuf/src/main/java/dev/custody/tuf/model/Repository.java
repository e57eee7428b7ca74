package dev.custody.tuf.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A repository's verified (or freshly built) metadata: root, timestamp and snapshot (absent before the
 * first publish, or when not fetched), and the targets roles by name, top-level {@code targets} first
 * then delegations in pre-order.
 */
public record Repository(
        String gun,
        Signed<Root> root,
        Signed<Timestamp> timestamp,
        Signed<Snapshot> snapshot,
        Map<String, Signed<Targets>> targets) {
    public Repository {
        Objects.requireNonNull(gun, "gun");
        Objects.requireNonNull(root, "root");
        targets = Collections.unmodifiableMap(new LinkedHashMap<>(targets));
    }

    public Optional<Signed<Targets>> targetsRole(String role) {
        return Optional.ofNullable(targets.get(role));
    }

    /** One line of {@code notary list}: a target, its meta and the role that signed it. */
    public record Target(String name, FileMeta meta, String role) {}

    /**
     * The targets a client resolves, as {@code notary list} shows them: walked from {@code startRole}
     * (usually {@code targets}) through delegations in order, each name taken from the first role that
     * lists it within that role's paths.
     */
    public List<Target> listTargets(String startRole) {
        Map<String, Target> found = new LinkedHashMap<>();
        walk(startRole, found);
        List<Target> out = new ArrayList<>(found.values());
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
    }

    private void walk(String role, Map<String, Target> found) {
        Signed<Targets> t = targets.get(role);
        if (t == null) {
            return;
        }
        t.signed().targets().forEach((name, meta) -> found.putIfAbsent(name, new Target(name, meta, role)));
        for (DelegatedRole d : t.signed().delegationsOrEmpty().roles()) {
            walk(d.name(), found);
        }
    }
}
