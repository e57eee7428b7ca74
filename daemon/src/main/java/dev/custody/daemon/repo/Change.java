package dev.custody.daemon.repo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.protocol.BadRequestException;
import dev.custody.tuf.model.DelegatedRole;
import dev.custody.tuf.model.FileMeta;
import dev.custody.tuf.model.TufKey;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * One staged edit of a repository, as Notary's changelist keeps it: an action on a path within a
 * scope (the role the edit lands in), applied to the trusted metadata at publish.
 *
 * <ul>
 *   <li>{@code create target} / {@code delete target}: path = target name, scope = targets role;
 *       {@code content} holds the file meta ({@code length}, {@code hashes}, {@code custom}).</li>
 *   <li>{@code create delegation}: path = delegated role, scope = its parent; {@code content} holds
 *       {@code keys} (TUF key objects), {@code paths}, {@code threshold}.</li>
 *   <li>{@code delete delegation}: {@code content.keyIds} removes those keys only; none removes the role.</li>
 *   <li>{@code update witness}: path = scope = the role to re-sign unchanged.</li>
 * </ul>
 *
 * @param seq position in the changelist, increasing, never reused
 * @param stagedBy the uid of the caller who staged it (null: staged before changelists were per caller);
 *     a publish carries only the publishing caller's own changes (README-repo.md, "Whose changes a
 *     publish carries")
 */
public record Change(long seq, String action, String scope, String type, String path, JsonNode content, Long stagedBy) {
    public static final String TARGET = "target";
    public static final String DELEGATION = "delegation";
    public static final String WITNESS = "witness";

    public Change {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(path, "path");
        content = content == null ? JsonNodeFactory.instance.objectNode() : content;
    }

    public Change(long seq, String action, String scope, String type, String path, JsonNode content) {
        this(seq, action, scope, type, path, content, null);
    }

    /** {@code create target}: a target added to {@code role} (null: {@code targets}) with its hashes. */
    static Change target(String role, String name, Long length, String sha256, String sha512, JsonNode custom)
            throws BadRequestException {
        if (name == null || name.isEmpty()) {
            throw new BadRequestException("a target needs a name", "params.target");
        }
        if (length == null || length < 0) {
            throw new BadRequestException(
                    "target " + name + ": length must be a non-negative integer", "params.length");
        }
        byte[] s256 = hex(sha256, 32, "sha256");
        byte[] s512 = sha512 == null ? null : hex(sha512, 64, "sha512");
        FileMeta meta = FileMeta.ofHashes(length, s256, s512);
        if (custom != null && !custom.isNull()) {
            meta = meta.withCustom(custom);
        }
        ObjectNode content = JsonNodeFactory.instance.objectNode();
        content.set("meta", meta.toJson());
        return new Change(0, "create", role == null ? "targets" : role, TARGET, name, content);
    }

    private static byte[] hex(String s, int len, String field) throws BadRequestException {
        try {
            byte[] b = HexFormat.of().parseHex(s == null ? "" : s);
            if (b.length != len) {
                throw new IllegalArgumentException();
            }
            return b;
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(
                    "params." + field + " must be " + (len * 2) + " hex digits", "params." + field);
        }
    }

    /** {@code delete target}: a target removed from {@code role} (null: {@code targets}). */
    static Change removeTarget(String role, String name) {
        return new Change(0, "delete", role == null ? "targets" : role, TARGET, name, null);
    }

    /** {@code update witness}: {@code role} re-signed unchanged. */
    static Change witness(String role) {
        return new Change(0, "update", role, WITNESS, role, null);
    }

    /** {@code create delegation}: the delegated role {@code role} with these keys, paths and threshold. */
    static Change delegationAdd(String role, List<TufKey> keys, List<String> paths, int threshold) {
        ObjectNode content = JsonNodeFactory.instance.objectNode().put("threshold", threshold);
        ArrayNode k = content.putArray("keys");
        keys.forEach(x -> k.add(x.toJson()));
        ArrayNode ps = content.putArray("paths");
        paths.forEach(ps::add);
        return new Change(0, "create", DelegatedRole.parentOf(role), DELEGATION, role, content);
    }

    /** {@code delete delegation}: these keys of {@code role} removed, or the whole role when none. */
    static Change delegationRemove(String role, List<String> keyIds) {
        ObjectNode content = JsonNodeFactory.instance.objectNode();
        ArrayNode k = content.putArray("keyIds");
        keyIds.forEach(k::add);
        return new Change(0, "delete", DelegatedRole.parentOf(role), DELEGATION, role, content);
    }

    public Change withSeq(long s) {
        return new Change(s, action, scope, type, path, content, stagedBy);
    }

    public Change stagedBy(long uid) {
        return new Change(seq, action, scope, type, path, content, uid);
    }

    /** Whether a publish by {@code uid} carries this change: its own, or one staged before changes had owners. */
    public boolean belongsTo(long uid) {
        return stagedBy == null || stagedBy == uid;
    }

    /** How {@code repo.status} shows it. */
    public dev.custody.protocol.Change toStatus() {
        return new dev.custody.protocol.Change(action, scope, type, path, stagedBy);
    }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance
                .objectNode()
                .put("action", action)
                .put("scope", scope)
                .put("type", type)
                .put("path", path);
        if (stagedBy != null) {
            o.put("stagedBy", stagedBy);
        }
        o.put("seq", seq);
        o.set("content", content);
        return o;
    }

    public static Change fromJson(JsonNode n) {
        return new Change(
                n.path("seq").asLong(),
                n.path("action").asText(),
                n.path("scope").asText(),
                n.path("type").asText(),
                n.path("path").asText(),
                n.get("content"),
                n.hasNonNull("stagedBy") ? n.get("stagedBy").asLong() : null);
    }

    @Override
    public String toString() {
        return action + " " + type + " '" + path + "' in " + scope;
    }
}
