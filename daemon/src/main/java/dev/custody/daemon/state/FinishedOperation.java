package dev.custody.daemon.state;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * A journaled operation that ended.
 *
 * @param outcome {@code completed} or {@code aborted}
 * @param detail the completion result, or {@code {"reason": …}} for an abort
 */
public record FinishedOperation(
        String id,
        String type,
        String gun,
        Instant startedAt,
        Instant finishedAt,
        String outcome,
        int steps,
        JsonNode detail) {}
