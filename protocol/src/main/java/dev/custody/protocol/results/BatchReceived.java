package dev.custody.protocol.results;

/** Result of a {@code repo.addBatch} part sent with {@code more}: kept aside, {@code received} targets so far. */
public record BatchReceived(String gun, String batchId, long received) {}
