package dev.custody.tuf.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.tuf.MalformedMetadataException;

/** The four kinds of metadata, with their {@code _type} and parser. Delegated roles are {@link #TARGETS}. */
public final class MetaType<T extends Metadata> {
    @FunctionalInterface
    interface Parser<T> {
        T parse(JsonNode signed, String role) throws MalformedMetadataException;
    }

    public static final MetaType<Root> ROOT = new MetaType<>(Root.TYPE, Root.class, Root::fromJson);
    public static final MetaType<Targets> TARGETS = new MetaType<>(Targets.TYPE, Targets.class, Targets::fromJson);
    public static final MetaType<Snapshot> SNAPSHOT = new MetaType<>(Snapshot.TYPE, Snapshot.class, Snapshot::fromJson);
    public static final MetaType<Timestamp> TIMESTAMP =
            new MetaType<>(Timestamp.TYPE, Timestamp.class, Timestamp::fromJson);

    private final String type;
    private final Class<T> javaType;
    private final Parser<T> parser;

    private MetaType(String type, Class<T> javaType, Parser<T> parser) {
        this.type = type;
        this.javaType = javaType;
        this.parser = parser;
    }

    /** The {@code _type} string. */
    public String type() {
        return type;
    }

    public Class<T> javaType() {
        return javaType;
    }

    T parse(JsonNode signed, String role) throws MalformedMetadataException {
        return parser.parse(signed, role);
    }

    /** The kind of metadata a role name stands for: {@code targets/…} is {@link #TARGETS}. */
    public static MetaType<?> forRole(String role) {
        return switch (role) {
            case "root" -> ROOT;
            case "targets" -> TARGETS;
            case "snapshot" -> SNAPSHOT;
            case "timestamp" -> TIMESTAMP;
            default -> {
                if (DelegatedRole.isDelegationName(role)) {
                    yield TARGETS;
                }
                throw new IllegalArgumentException("not a role name: " + role);
            }
        };
    }

    @Override
    public String toString() {
        return type;
    }
}
