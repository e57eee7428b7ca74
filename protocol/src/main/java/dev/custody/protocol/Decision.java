package dev.custody.protocol;

/** Result of {@code pending.approve} / {@code pending.deny}: {@code state} is approved or denied. */
public record Decision(String id, String state) {}
