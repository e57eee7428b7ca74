package dev.custody.tuf.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.tuf.MalformedMetadataException;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/** {@code timestamp.json}'s signed part: {@code meta} maps role names to {@link FileMeta} (no versions in Notary). */
public record Timestamp(int version, OffsetDateTime expires, Map<String, FileMeta> meta, Map<String, JsonNode> extra)
        implements Metadata {
    public static final String TYPE = "Timestamp";
    private static final Set<String> KNOWN = Set.of("_type", "version", "expires", "meta");

    public Timestamp {
        Objects.requireNonNull(expires, "expires");
        meta = Json.sortedCopy(meta);
        extra = Json.copyExtras(extra);
    }

    @Override
    public String type() {
        return TYPE;
    }

    public Optional<FileMeta> metaFor(String role) {
        return Optional.ofNullable(meta.get(role));
    }

    @Override
    public Timestamp withVersion(int v) {
        return new Timestamp(v, expires, meta, extra);
    }

    @Override
    public Timestamp withExpires(OffsetDateTime e) {
        return new Timestamp(version, e, meta, extra);
    }

    public Timestamp withMeta(String role, FileMeta m) {
        Map<String, FileMeta> x = new TreeMap<>(meta);
        x.put(role, m);
        return new Timestamp(version, expires, x, extra);
    }

    public Timestamp withoutMeta(String role) {
        Map<String, FileMeta> x = new TreeMap<>(meta);
        x.remove(role);
        return new Timestamp(version, expires, x, extra);
    }

    @Override
    public ObjectNode toJson() {
        ObjectNode o = Json.withExtras(extra);
        o.put("_type", TYPE);
        o.put("expires", GoTime.format(expires));
        ObjectNode m = o.putObject("meta");
        meta.forEach((name, fm) -> m.set(name, fm.toJson()));
        o.put("version", version);
        return o;
    }

    public static Timestamp fromJson(JsonNode n, String roleName) throws MalformedMetadataException {
        String role = "timestamp";
        ObjectNode o = Json.object(n, "signed", role);
        Map<String, FileMeta> meta = new TreeMap<>();
        ObjectNode m = Json.object(Json.required(o, "meta", role), "meta", role);
        for (Map.Entry<String, JsonNode> e : m.properties()) {
            meta.put(e.getKey(), FileMeta.fromJson(e.getValue(), role, e.getKey()));
        }
        Timestamp t = new Timestamp(Json.int32(o, "version", role), Json.time(o, "expires", role), meta, Json.extras(o, KNOWN));
        if (t.version < 1) {
            throw new MalformedMetadataException(role, "version cannot be less than one");
        }
        return t;
    }
}
