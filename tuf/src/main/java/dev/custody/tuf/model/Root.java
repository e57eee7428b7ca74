package dev.custody.tuf.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.tuf.MalformedMetadataException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code root.json}'s signed part. Validation matches Notary's {@code isValidRootStructure}: version ≥ 1,
 * the four base roles present, thresholds ≥ 1 and every listed key ID present in {@code keys}.
 */
public record Root(
        int version,
        OffsetDateTime expires,
        boolean consistentSnapshot,
        Map<String, TufKey> keys,
        Map<String, RoleKeys> roles,
        Map<String, JsonNode> extra)
        implements Metadata {
    public static final String TYPE = "Root";
    public static final List<String> BASE_ROLES = List.of("root", "targets", "snapshot", "timestamp");
    private static final Set<String> KNOWN =
            Set.of("_type", "version", "expires", "consistent_snapshot", "keys", "roles");

    public Root {
        Objects.requireNonNull(expires, "expires");
        keys = Json.sortedCopy(keys);
        roles = Json.sortedCopy(roles);
        extra = Json.copyExtras(extra);
    }

    @Override
    public String type() {
        return TYPE;
    }

    public RoleKeys role(String name) {
        RoleKeys r = roles.get(name);
        if (r == null) {
            throw new IllegalStateException("root has no role " + name);
        }
        return r;
    }

    /** The keys of a top-level role, by key ID, in the role's key ID order. */
    public Map<String, TufKey> keysOf(String roleName) {
        Map<String, TufKey> out = new java.util.LinkedHashMap<>();
        for (String id : role(roleName).keyIds()) {
            TufKey k = keys.get(id);
            if (k != null) {
                out.put(id, k);
            }
        }
        return out;
    }

    public Optional<TufKey> key(String keyId) {
        return Optional.ofNullable(keys.get(keyId));
    }

    @Override
    public Root withVersion(int v) {
        return new Root(v, expires, consistentSnapshot, keys, roles, extra);
    }

    @Override
    public Root withExpires(OffsetDateTime e) {
        return new Root(version, e, consistentSnapshot, keys, roles, extra);
    }

    /**
     * This root with {@code role} assigned exactly {@code newKeys} (threshold kept, or 1 for a new role);
     * keys no role refers to any more are dropped from {@code keys}.
     */
    public Root withRoleKeys(String role, List<TufKey> newKeys, int threshold) {
        Map<String, TufKey> k = new TreeMap<>(keys);
        Map<String, RoleKeys> r = new TreeMap<>(roles);
        RoleKeys old = roles.get(role);
        newKeys.forEach(key -> k.put(key.id(), key));
        r.put(
                role,
                new RoleKeys(
                        newKeys.stream().map(TufKey::id).toList(), threshold, old == null ? Map.of() : old.extra()));
        k.keySet()
                .retainAll(r.values().stream()
                        .flatMap(x -> x.keyIds().stream())
                        .collect(java.util.stream.Collectors.toSet()));
        return new Root(version, expires, consistentSnapshot, k, r, extra);
    }

    @Override
    public ObjectNode toJson() {
        ObjectNode o = Json.withExtras(extra);
        o.put("_type", TYPE);
        o.put("consistent_snapshot", consistentSnapshot);
        o.put("expires", GoTime.format(expires));
        ObjectNode k = o.putObject("keys");
        keys.forEach((id, key) -> k.set(id, key.toJson()));
        ObjectNode r = o.putObject("roles");
        roles.forEach((name, role) -> r.set(name, role.toJson()));
        o.put("version", version);
        return o;
    }

    public static Root fromJson(JsonNode n, String roleName) throws MalformedMetadataException {
        String role = "root";
        ObjectNode o = Json.object(n, "signed", role);
        Map<String, TufKey> keys = new TreeMap<>();
        ObjectNode k = Json.object(Json.required(o, "keys", role), "keys", role);
        for (Map.Entry<String, JsonNode> e : k.properties()) {
            keys.put(e.getKey(), TufKey.fromJson(e.getValue(), role));
        }
        Map<String, RoleKeys> roles = new TreeMap<>();
        ObjectNode r = Json.object(Json.required(o, "roles", role), "roles", role);
        for (Map.Entry<String, JsonNode> e : r.properties()) {
            roles.put(e.getKey(), RoleKeys.fromJson(e.getValue(), role));
        }
        Root root = new Root(
                Json.int32(o, "version", role),
                Json.time(o, "expires", role),
                Json.bool(o, "consistent_snapshot", role),
                keys,
                roles,
                Json.extras(o, KNOWN));
        root.validate();
        return root;
    }

    private void validate() throws MalformedMetadataException {
        if (version < 1) {
            throw new MalformedMetadataException("root", "version cannot be less than 1");
        }
        for (String base : BASE_ROLES) {
            RoleKeys r = roles.get(base);
            if (r == null) {
                throw new MalformedMetadataException("root", "missing " + base + " role specification");
            }
            if (r.threshold() < 1) {
                throw new MalformedMetadataException("root", "invalid threshold for " + base + ": " + r.threshold());
            }
            for (String id : r.keyIds()) {
                if (!keys.containsKey(id)) {
                    throw new MalformedMetadataException("root", "key ID " + id + " of " + base + " has no key");
                }
            }
        }
    }
}
