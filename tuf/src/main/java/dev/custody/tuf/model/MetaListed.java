package dev.custody.tuf.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.Optional;

/**
 * What {@link Snapshot} and {@link Timestamp} share: {@code meta} maps role names to {@link FileMeta}
 * (no versions in Notary). Each record supplies its {@link #type()} and {@link #with}; the copies and the
 * JSON form are written once here (see {@link MetaListing}).
 *
 * @param <T> the record itself
 */
public sealed interface MetaListed<T extends MetaListed<T>> extends Metadata permits Snapshot, Timestamp {
    Map<String, FileMeta> meta();

    Map<String, JsonNode> extra();

    /** A record of the same type with these fields and this record's unknown fields. */
    T with(int version, OffsetDateTime expires, Map<String, FileMeta> meta);

    default Optional<FileMeta> metaFor(String role) {
        return Optional.ofNullable(meta().get(role));
    }

    @Override
    default T withVersion(int v) {
        return with(v, expires(), meta());
    }

    @Override
    default T withExpires(OffsetDateTime e) {
        return with(version(), e, meta());
    }

    default T withMeta(String role, FileMeta m) {
        return with(version(), expires(), MetaListing.with(meta(), role, m));
    }

    default T withoutMeta(String role) {
        return with(version(), expires(), MetaListing.without(meta(), role));
    }

    @Override
    default ObjectNode toJson() {
        return MetaListing.toJson(type(), version(), expires(), meta(), extra());
    }
}
