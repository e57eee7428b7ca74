package dev.custody.daemon.audit;

import java.time.Instant;

/**
 * An appended audit line as the log sees it.
 *
 * @param seq 1-based line number
 * @param time when it was appended
 * @param prev hex SHA-256 of the previous line ({@link AuditLog#GENESIS} for line 1)
 * @param hash hex SHA-256 of this line's bytes (without the newline)
 * @param record what the line says
 */
public record AuditEntry(long seq, Instant time, String prev, String hash, AuditRecord record) {}
