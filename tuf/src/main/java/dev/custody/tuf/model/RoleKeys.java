package dev.custody.tuf.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.tuf.MalformedMetadataException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A top-level role entry in {@code root.json}: {@code {"keyids":[…],"threshold":n}}. */
public record RoleKeys(List<String> keyIds, int threshold, Map<String, JsonNode> extra) {
    private static final Set<String> KNOWN = Set.of("keyids", "threshold");

    public RoleKeys {
        keyIds = List.copyOf(keyIds);
        extra = Json.copyExtras(extra);
    }

    public RoleKeys(List<String> keyIds, int threshold) {
        this(keyIds, threshold, Map.of());
    }

    public ObjectNode toJson() {
        ObjectNode o = Json.withExtras(extra);
        o.set("keyids", Json.stringArray(keyIds));
        o.put("threshold", threshold);
        return o;
    }

    public static RoleKeys fromJson(JsonNode n, String role) throws MalformedMetadataException {
        ObjectNode o = Json.object(n, "role", role);
        return new RoleKeys(
                Json.strings(Json.required(o, "keyids", role), "keyids", role),
                Json.int32(o, "threshold", role),
                Json.extras(o, KNOWN));
    }
}
