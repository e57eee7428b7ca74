package dev.custody.protocol;

/**
 * One staged change ({@code repo.status}): {@code action} create/delete, {@code scope} the role, {@code type}
 * target/delegation/…; {@code stagedBy} the uid that staged it (null for changes staged before changelists
 * were per caller). A publish carries only its caller's own changes.
 */
public record Change(String action, String scope, String type, String path, Long stagedBy) {
    public Change(String action, String scope, String type, String path) {
        this(action, scope, type, path, null);
    }
}
