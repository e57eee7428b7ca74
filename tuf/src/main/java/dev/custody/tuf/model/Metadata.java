package dev.custody.tuf.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.OffsetDateTime;

/** The {@code signed} part of a role's metadata. */
public sealed interface Metadata permits Root, Targets, MetaListed {
    /** The {@code _type} Notary writes: {@code Root}, {@code Targets}, {@code Snapshot}, {@code Timestamp}. */
    String type();

    int version();

    OffsetDateTime expires();

    /** The JSON tree of this {@code signed} object, unknown fields included. */
    ObjectNode toJson();

    Metadata withVersion(int version);

    Metadata withExpires(OffsetDateTime expires);
}
