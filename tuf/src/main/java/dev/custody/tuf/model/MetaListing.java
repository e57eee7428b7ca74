package dev.custody.tuf.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.tuf.MalformedMetadataException;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The shape {@link Snapshot} and {@link Timestamp} share in Notary: {@code _type}, {@code version},
 * {@code expires} and {@code meta} (role name → {@link FileMeta}, without versions).
 */
final class MetaListing {
    static final Set<String> KNOWN = Set.of("_type", "version", "expires", "meta");

    /** The parsed common fields; the record's factory builds the typed record from them. */
    record Parts(int version, OffsetDateTime expires, Map<String, FileMeta> meta, Map<String, JsonNode> extra) {}

    private MetaListing() {}

    static Parts parse(JsonNode n, String role) throws MalformedMetadataException {
        ObjectNode o = Json.object(n, "signed", role);
        Map<String, FileMeta> meta = new TreeMap<>();
        ObjectNode m = Json.object(Json.required(o, "meta", role), "meta", role);
        for (Map.Entry<String, JsonNode> e : m.properties()) {
            meta.put(e.getKey(), FileMeta.fromJson(e.getValue(), role, e.getKey()));
        }
        int version = Json.int32(o, "version", role);
        if (version < 1) {
            throw new MalformedMetadataException(role, "version cannot be less than one");
        }
        return new Parts(version, Json.time(o, "expires", role), meta, Json.extras(o, KNOWN));
    }

    static ObjectNode toJson(
            String type, int version, OffsetDateTime expires, Map<String, FileMeta> meta, Map<String, JsonNode> extra) {
        ObjectNode o = Json.withExtras(extra);
        o.put("_type", type);
        o.put("expires", GoTime.format(expires));
        ObjectNode m = o.putObject("meta");
        meta.forEach((name, fm) -> m.set(name, fm.toJson()));
        o.put("version", version);
        return o;
    }

    static Map<String, FileMeta> with(Map<String, FileMeta> meta, String role, FileMeta m) {
        Map<String, FileMeta> x = new TreeMap<>(meta);
        x.put(role, m);
        return x;
    }

    static Map<String, FileMeta> without(Map<String, FileMeta> meta, String role) {
        Map<String, FileMeta> x = new TreeMap<>(meta);
        x.remove(role);
        return x;
    }
}
