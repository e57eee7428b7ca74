package dev.custody.protocol.results;

/** Result of {@code pending.approve} and {@code pending.deny}: the entry's new state. */
public record Decided(String id, String state) {}
