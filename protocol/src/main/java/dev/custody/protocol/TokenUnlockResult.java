package dev.custody.protocol;

/** Result of {@code token.unlock}: the PIN is cached until {@code unlockedUntil} (RFC 3339). */
public record TokenUnlockResult(String token, String unlockedUntil) {}
