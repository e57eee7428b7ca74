package dev.custody.client.api;

/** One target of a repository, as verified from the server ({@code repo.list}, {@code repo.lookup}). */
public record TargetInfo(String name, String sha256, long length, String role) {}
