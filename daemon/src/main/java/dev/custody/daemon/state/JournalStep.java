package dev.custody.daemon.state;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * One durably recorded step of a journaled operation.
 *
 * @param seq 1-based position in the operation
 * @param name what was done, e.g. {@code signed-targets}, {@code published}
 * @param time when it was recorded
 * @param data what a resume or rollback needs (versions, hashes, key ids); never secrets
 */
public record JournalStep(int seq, String name, Instant time, JsonNode data) {
    public JournalStep {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(data, "data");
    }
}
