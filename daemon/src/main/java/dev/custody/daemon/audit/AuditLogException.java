package dev.custody.daemon.audit;

import java.io.IOException;

/**
 * The audit log cannot be used: it was tampered with, or a write failed. The daemon stops signing
 * rather than sign without an audit trail.
 */
public final class AuditLogException extends IOException {
    private static final long serialVersionUID = 1L;

    public AuditLogException(String message) {
        super(message);
    }

    public AuditLogException(String message, Throwable cause) {
        super(message, cause);
    }
}
