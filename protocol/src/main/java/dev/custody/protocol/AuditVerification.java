package dev.custody.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Result of {@code audit.verify}: whether the hash chain holds, and where it breaks if not. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AuditVerification(boolean ok, long lines, Long firstBadLine, String reason) {}
