package dev.custody.protocol;

/** Result of {@code repo.delete}. */
public record DeleteResult(String gun, boolean local, boolean remote) {}
