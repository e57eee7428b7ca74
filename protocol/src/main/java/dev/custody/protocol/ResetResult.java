package dev.custody.protocol;

/** Result of {@code repo.reset}: how many staged changes were dropped. */
public record ResetResult(String gun, int dropped) {}
