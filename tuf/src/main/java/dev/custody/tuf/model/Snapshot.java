package dev.custody.tuf.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.tuf.MalformedMetadataException;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Objects;

/** {@code snapshot.json}'s signed part: {@code meta} maps role names to {@link FileMeta} (no versions in Notary). */
public record Snapshot(int version, OffsetDateTime expires, Map<String, FileMeta> meta, Map<String, JsonNode> extra)
        implements MetaListed<Snapshot> {
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

    @Override
    public Snapshot with(int version, OffsetDateTime expires, Map<String, FileMeta> meta) {
        return new Snapshot(version, expires, meta, extra);
    }

    public static Snapshot fromJson(JsonNode n, String roleName) throws MalformedMetadataException {
        MetaListing.Parts p = MetaListing.parse(n, "snapshot");
        return new Snapshot(p.version(), p.expires(), p.meta(), p.extra());
    }
}
