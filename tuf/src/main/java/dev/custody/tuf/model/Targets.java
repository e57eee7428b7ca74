package dev.custody.tuf.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.tuf.MalformedMetadataException;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code targets.json} or a delegated role's {@code targets/….json} (same {@code _type}, {@code Targets}).
 * Notary always writes {@code delegations}, also for delegated roles; it is null here only when absent.
 * Validation matches Notary's {@code isValidTargetsStructure}: version ≥ 1 and each delegated role a
 * direct child of this role, with threshold ≥ 1 and its keys present.
 */
public record Targets(
        int version,
        OffsetDateTime expires,
        Map<String, FileMeta> targets,
        Delegations delegations,
        Map<String, JsonNode> extra)
        implements Metadata {
    public static final String TYPE = "Targets";
    private static final Set<String> KNOWN = Set.of("_type", "version", "expires", "targets", "delegations");

    public Targets {
        Objects.requireNonNull(expires, "expires");
        targets = Json.sortedCopy(targets);
        extra = Json.copyExtras(extra);
    }

    /** An empty targets role (version 1) with empty delegations, as {@code notary init} creates it. */
    public static Targets empty(OffsetDateTime expires) {
        return new Targets(1, expires, Map.of(), Delegations.EMPTY, Map.of());
    }

    @Override
    public String type() {
        return TYPE;
    }

    public Delegations delegationsOrEmpty() {
        return delegations == null ? Delegations.EMPTY : delegations;
    }

    @Override
    public Targets withVersion(int v) {
        return new Targets(v, expires, targets, delegations, extra);
    }

    @Override
    public Targets withExpires(OffsetDateTime e) {
        return new Targets(version, e, targets, delegations, extra);
    }

    public Targets withTarget(String name, FileMeta meta) {
        Map<String, FileMeta> t = new TreeMap<>(targets);
        t.put(name, meta);
        return new Targets(version, expires, t, delegations, extra);
    }

    /** Adds (or replaces) many targets with one copy of the map: batches of thousands stay linear. */
    public Targets withTargets(Map<String, FileMeta> add) {
        Map<String, FileMeta> t = new TreeMap<>(targets);
        t.putAll(add);
        return new Targets(version, expires, t, delegations, extra);
    }

    public Targets withoutTarget(String name) {
        Map<String, FileMeta> t = new TreeMap<>(targets);
        t.remove(name);
        return new Targets(version, expires, t, delegations, extra);
    }

    public Targets withDelegations(Delegations d) {
        return new Targets(version, expires, targets, d, extra);
    }

    @Override
    public ObjectNode toJson() {
        ObjectNode o = Json.withExtras(extra);
        o.put("_type", TYPE);
        if (delegations != null) {
            o.set("delegations", delegations.toJson());
        }
        o.put("expires", GoTime.format(expires));
        ObjectNode t = o.putObject("targets");
        targets.forEach((name, meta) -> t.set(name, meta.toJson()));
        o.put("version", version);
        return o;
    }

    public static Targets fromJson(JsonNode n, String role) throws MalformedMetadataException {
        ObjectNode o = Json.object(n, "signed", role);
        Map<String, FileMeta> files = new TreeMap<>();
        JsonNode tn = Json.required(o, "targets", role);
        if (!tn.isNull()) {
            ObjectNode t = Json.object(tn, "targets", role);
            for (Map.Entry<String, JsonNode> e : t.properties()) {
                files.put(e.getKey(), FileMeta.fromJson(e.getValue(), role, e.getKey()));
            }
        } else {
            throw new MalformedMetadataException(role, "'targets' must be an object");
        }
        JsonNode dn = o.get("delegations");
        Delegations d = dn == null ? null : Delegations.fromJson(dn, role);
        Targets targets = new Targets(
                Json.int32(o, "version", role), Json.time(o, "expires", role), files, d, Json.extras(o, KNOWN));
        targets.validate(role);
        return targets;
    }

    private void validate(String role) throws MalformedMetadataException {
        if (version < 1) {
            throw new MalformedMetadataException(role, "version cannot be less than one");
        }
        for (DelegatedRole r : delegationsOrEmpty().roles()) {
            if (!DelegatedRole.isDelegationName(r.name())
                    || !DelegatedRole.parentOf(r.name()).equals(role)) {
                throw new MalformedMetadataException(role, "delegation role " + r.name() + " invalid");
            }
            if (r.threshold() < 1) {
                throw new MalformedMetadataException(role, "invalid threshold for " + r.name() + ": " + r.threshold());
            }
            for (String id : r.keyIds()) {
                if (!delegationsOrEmpty().keys().containsKey(id)) {
                    throw new MalformedMetadataException(role, "key ID " + id + " of " + r.name() + " has no key");
                }
            }
        }
    }
}
