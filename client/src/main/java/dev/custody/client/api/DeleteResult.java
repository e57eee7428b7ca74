package dev.custody.client.api;

/** Result of {@code repo.delete}. */
public record DeleteResult(String gun, boolean local, boolean remote) {}
