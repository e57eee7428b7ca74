package dev.custody.tuf.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.tuf.MalformedMetadataException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One entry of {@code delegations.roles}. Notary matches {@code paths} as plain prefixes ({@code ""}
 * matches everything); Notary 0.7 does not know {@code path_hash_prefixes} (it drops the field), TUF
 * matches them as prefixes of the hex SHA-256 of the target path. Either list is null when absent
 * (Notary omits an empty {@code paths}).
 */
public record DelegatedRole(
        String name,
        List<String> keyIds,
        int threshold,
        List<String> paths,
        List<String> pathHashPrefixes,
        Map<String, JsonNode> extra) {
    private static final Set<String> KNOWN = Set.of("name", "keyids", "threshold", "paths", "path_hash_prefixes");
    /** Notary's {@code IsDelegation}: {@code targets/…}, {@code [-a-z0-9_/]}, clean, under 256 characters. */
    private static final Pattern NAME = Pattern.compile("targets(/[-a-z0-9_]+)+");

    public DelegatedRole {
        Objects.requireNonNull(name, "name");
        keyIds = List.copyOf(keyIds);
        paths = paths == null ? null : List.copyOf(paths);
        pathHashPrefixes = pathHashPrefixes == null ? null : List.copyOf(pathHashPrefixes);
        extra = Json.copyExtras(extra);
    }

    public DelegatedRole(String name, List<String> keyIds, int threshold, List<String> paths) {
        this(name, keyIds, threshold, paths, null, Map.of());
    }

    /** True for a valid delegated role name in Notary's sense. */
    public static boolean isDelegationName(String name) {
        return name != null && name.length() < 256 && NAME.matcher(name).matches();
    }

    /** The role's parent: {@code targets/a/b} → {@code targets/a}. */
    public static String parentOf(String name) {
        return name.substring(0, name.lastIndexOf('/'));
    }

    /** Whether this entry itself allows {@code target} (ignoring the parent chain). */
    public boolean allows(String target) {
        if (paths != null) {
            for (String p : paths) {
                if (target.startsWith(p)) {
                    return true;
                }
            }
        }
        if (pathHashPrefixes != null && !pathHashPrefixes.isEmpty()) {
            String h = HexFormat.of()
                    .formatHex(Digests.digest("SHA-256", target.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            for (String p : pathHashPrefixes) {
                if (h.startsWith(p)) {
                    return true;
                }
            }
        }
        return false;
    }

    public DelegatedRole withKeyIds(List<String> ids, int newThreshold) {
        return new DelegatedRole(name, ids, newThreshold, paths, pathHashPrefixes, extra);
    }

    public DelegatedRole withPaths(List<String> newPaths) {
        return new DelegatedRole(name, keyIds, threshold, newPaths, pathHashPrefixes, extra);
    }

    public ObjectNode toJson() {
        ObjectNode o = Json.withExtras(extra);
        o.set("keyids", Json.stringArray(keyIds));
        o.put("name", name);
        if (paths != null) {
            o.set("paths", Json.stringArray(paths));
        }
        if (pathHashPrefixes != null) {
            o.set("path_hash_prefixes", Json.stringArray(pathHashPrefixes));
        }
        o.put("threshold", threshold);
        return o;
    }

    public static DelegatedRole fromJson(JsonNode n, String role) throws MalformedMetadataException {
        ObjectNode o = Json.object(n, "delegated role", role);
        JsonNode p = o.get("paths");
        JsonNode h = o.get("path_hash_prefixes");
        return new DelegatedRole(
                Json.text(o, "name", role),
                Json.strings(Json.required(o, "keyids", role), "keyids", role),
                Json.int32(o, "threshold", role),
                p == null ? null : Json.strings(p, "paths", role),
                h == null ? null : Json.strings(h, "path_hash_prefixes", role),
                Json.extras(o, KNOWN));
    }
}
