package dev.custody.daemon.config;

import java.util.Objects;

/**
 * {@code audit.checkpoint}: the audit key that signs checkpoints of the audit chain
 * ({@link dev.custody.daemon.audit.AuditCheckpoints}).
 *
 * @param keyId the key's ID in the key inventory ({@code custody key generate --role audit}); its token
 *     must be configured
 * @param every records between two checkpoints (also signed at start and shutdown)
 */
public record AuditCheckpointConfig(String keyId, int every) {
    /** Default {@code every}. */
    public static final int DEFAULT_EVERY = 1000;

    public AuditCheckpointConfig {
        Objects.requireNonNull(keyId, "keyId");
        if (every < 1) {
            throw new IllegalArgumentException("every must be at least 1");
        }
    }
}
