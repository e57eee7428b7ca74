package dev.custody.daemon.audit;

/**
 * The end of an audit chain: the last line's sequence number and hash ({@code seq = 0} and
 * {@link AuditLog#GENESIS} for an empty log). Whoever remembers a head can later prove that no
 * line up to it was removed or changed.
 */
public record AuditHead(long seq, String hash) {
    public static final AuditHead EMPTY = new AuditHead(0, AuditLog.GENESIS);
}
