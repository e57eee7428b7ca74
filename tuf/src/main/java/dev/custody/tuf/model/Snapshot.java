package dev.custody.tuf.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.tuf.MalformedMetadataException;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** {@code snapshot.json}'s signed part: {@code meta} maps role names to {@link FileMeta} (no versions in Notary). */
public record Snapshot(int version, OffsetDateTime expires, Map<String, FileMeta> meta, Map<String, JsonNode> extra)
        implements Metadata {
    public static final String TYPE = "Snapshot";

    public Snapshot {
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
    public Snapshot withVersion(int v) {
        return new Snapshot(v, expires, meta, extra);
    }

    @Override
    public Snapshot withExpires(OffsetDateTime e) {
        return new Snapshot(version, e, meta, extra);
    }

    public Snapshot withMeta(String role, FileMeta m) {
        return new Snapshot(version, expires, MetaListing.with(meta, role, m), extra);
    }

    public Snapshot withoutMeta(String role) {
        return new Snapshot(version, expires, MetaListing.without(meta, role), extra);
    }

    @Override
    public ObjectNode toJson() {
        return MetaListing.toJson(TYPE, version, expires, meta, extra);
    }

    public static Snapshot fromJson(JsonNode n, String roleName) throws MalformedMetadataException {
        MetaListing.Parts p = MetaListing.parse(n, "snapshot");
        return new Snapshot(p.version(), p.expires(), p.meta(), p.extra());
    }
}
