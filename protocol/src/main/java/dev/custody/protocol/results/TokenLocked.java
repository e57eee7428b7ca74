package dev.custody.protocol.results;

/** Result of {@code token.lock}: the token's PIN is forgotten. */
public record TokenLocked(String token) {}
