package dev.custody.tuf.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.tuf.MalformedMetadataException;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Objects;

/** {@code timestamp.json}'s signed part: {@code meta} maps role names to {@link FileMeta} (no versions in Notary). */
public record Timestamp(int version, OffsetDateTime expires, Map<String, FileMeta> meta, Map<String, JsonNode> extra)
        implements MetaListed<Timestamp> {
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

    @Override
    public Timestamp with(int version, OffsetDateTime expires, Map<String, FileMeta> meta) {
        return new Timestamp(version, expires, meta, extra);
    }

    public static Timestamp fromJson(JsonNode n, String roleName) throws MalformedMetadataException {
        MetaListing.Parts p = MetaListing.parse(n, "timestamp");
        return new Timestamp(p.version(), p.expires(), p.meta(), p.extra());
    }
}
