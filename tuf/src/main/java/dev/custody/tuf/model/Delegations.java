package dev.custody.tuf.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.tuf.MalformedMetadataException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** {@code delegations} of a targets role: keys by ID and the ordered list of delegated roles. */
public record Delegations(Map<String, TufKey> keys, List<DelegatedRole> roles, Map<String, JsonNode> extra) {
    private static final Set<String> KNOWN = Set.of("keys", "roles");

    public static final Delegations EMPTY = new Delegations(Map.of(), List.of(), Map.of());

    public Delegations {
        keys = Json.sortedCopy(keys);
        roles = List.copyOf(roles);
        extra = Json.copyExtras(extra);
    }

    public Optional<DelegatedRole> role(String name) {
        return roles.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    /** Adds or replaces {@code role} (kept in place if it existed) and adds its keys. */
    public Delegations withRole(DelegatedRole role, List<TufKey> newKeys) {
        Map<String, TufKey> k = new TreeMap<>(keys);
        newKeys.forEach(key -> k.put(key.id(), key));
        List<DelegatedRole> r = new ArrayList<>(roles);
        int i = indexOf(role.name());
        if (i >= 0) {
            r.set(i, role);
        } else {
            r.add(role);
        }
        return new Delegations(k, r, extra).pruned();
    }

    public Delegations withoutRole(String name) {
        List<DelegatedRole> r = new ArrayList<>(roles);
        r.removeIf(x -> x.name().equals(name));
        return new Delegations(keys, r, extra).pruned();
    }

    /** Drops keys no delegated role refers to. */
    public Delegations pruned() {
        Set<String> used = new java.util.HashSet<>();
        roles.forEach(r -> used.addAll(r.keyIds()));
        Map<String, TufKey> k = new TreeMap<>(keys);
        k.keySet().retainAll(used);
        return new Delegations(k, roles, extra);
    }

    private int indexOf(String name) {
        for (int i = 0; i < roles.size(); i++) {
            if (roles.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    public ObjectNode toJson() {
        ObjectNode o = Json.withExtras(extra);
        ObjectNode k = o.putObject("keys");
        keys.forEach((id, key) -> k.set(id, key.toJson()));
        ArrayNode r = o.putArray("roles");
        roles.forEach(x -> r.add(x.toJson()));
        return o;
    }

    public static Delegations fromJson(JsonNode n, String role) throws MalformedMetadataException {
        ObjectNode o = Json.object(n, "delegations", role);
        Map<String, TufKey> keys = new TreeMap<>();
        JsonNode kn = o.get("keys");
        if (kn != null && !kn.isNull()) {
            ObjectNode k = Json.object(kn, "delegations.keys", role);
            for (Map.Entry<String, JsonNode> e : k.properties()) {
                keys.put(e.getKey(), TufKey.fromJson(e.getValue(), role));
            }
        }
        List<DelegatedRole> roles = new ArrayList<>();
        JsonNode rn = o.get("roles");
        if (rn != null && !rn.isNull()) {
            if (!rn.isArray()) {
                throw new MalformedMetadataException(role, "delegations.roles must be an array");
            }
            for (JsonNode e : rn) {
                roles.add(DelegatedRole.fromJson(e, role));
            }
        }
        if (kn == null || kn.isNull() || rn == null || rn.isNull()) {
            throw new MalformedMetadataException(role, "delegations must have keys and roles");
        }
        return new Delegations(keys, roles, Json.extras(o, KNOWN));
    }
}
