package dev.custody.protocol;

/**
 * Answer to a {@code repo.addBatch} part sent with {@code more: true}: the part is kept aside in batch
 * {@code batchId} (send it with every later part), {@code received} targets so far; nothing is staged until
 * the last part (without {@code more}) arrives, then the whole batch is staged at once or not at all.
 */
public record BatchPart(String gun, String batchId, long received) {}
