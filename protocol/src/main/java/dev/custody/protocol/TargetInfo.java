package dev.custody.protocol;

/** One target of a repository, as verified from the server ({@code repo.list}, {@code repo.lookup}). */
public record TargetInfo(String name, String sha256, long length, String role) {}
