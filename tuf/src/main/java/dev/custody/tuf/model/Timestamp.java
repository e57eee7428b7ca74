package dev.custody.tuf.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.tuf.MalformedMetadataException;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** {@code timestamp.json}'s signed part: {@code meta} maps role names to {@link FileMeta} (no versions in Notary). */
public record Timestamp(int version, OffsetDateTime expires, Map<String, FileMeta> meta, Map<String, JsonNode> extra)
        implements Metadata {
    public static final String TYPE = "Timestamp";

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
        return new Timestamp(version, expires, MetaListing.with(meta, role, m), extra);
    }

    public Timestamp withoutMeta(String role) {
        return new Timestamp(version, expires, MetaListing.without(meta, role), extra);
    }

    @Override
    public ObjectNode toJson() {
        return MetaListing.toJson(TYPE, version, expires, meta, extra);
    }

    public static Timestamp fromJson(JsonNode n, String roleName) throws MalformedMetadataException {
        MetaListing.Parts p = MetaListing.parse(n, "timestamp");
        return new Timestamp(p.version(), p.expires(), p.meta(), p.extra());
    }
}
