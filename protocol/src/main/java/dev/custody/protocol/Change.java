package dev.custody.protocol;

/** One staged change ({@code repo.status}): {@code action} create/delete, {@code scope} the role, {@code type} target/delegation/…. */
public record Change(String action, String scope, String type, String path) {}
