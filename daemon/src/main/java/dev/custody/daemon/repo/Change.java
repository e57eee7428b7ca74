package dev.custody.daemon.repo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
public record Change(long seq, String action, String scope, String type, String path, JsonNode content,
    Long stagedBy) {
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
  public ObjectNode toStatus() {
    ObjectNode o = JsonNodeFactory.instance.objectNode().put("action", action).put("scope", scope).put("type", type)
        .put("path", path);
    if (stagedBy != null) {
      o.put("stagedBy", stagedBy);
    }
    return o;
  }

  public ObjectNode toJson() {
    ObjectNode o = toStatus();
    o.put("seq", seq);
    o.set("content", content);
    return o;
  }

  public static Change fromJson(JsonNode n) {
    return new Change(n.path("seq").asLong(), n.path("action").asText(), n.path("scope").asText(),
        n.path("type").asText(), n.path("path").asText(), n.get("content"),
        n.hasNonNull("stagedBy") ? n.get("stagedBy").asLong() : null);
  }

  @Override
  public String toString() {
    return action + " " + type + " '" + path + "' in " + scope;
  }
}
