package dev.custody.protocol;

/** Result of the staging methods ({@code repo.add}, {@code repo.remove}, {@code repo.witness}, …): changes now staged for {@code gun}. */
public record Staged(String gun, int staged) {}
