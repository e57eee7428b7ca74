package dev.custody.daemon.state;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A journaled operation that has not completed or aborted: what it planned and which steps are
 * known to have happened. After a crash, the daemon resumes it from {@link #lastStep()} or rolls it
 * back.
 */
public record PendingOperation(
        String id, String type, String gun, JsonNode plan, Instant startedAt, List<JournalStep> steps) {
    public PendingOperation {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(gun, "gun");
        Objects.requireNonNull(plan, "plan");
        Objects.requireNonNull(startedAt, "startedAt");
        steps = List.copyOf(steps);
    }

    public Optional<JournalStep> lastStep() {
        return steps.isEmpty() ? Optional.empty() : Optional.of(steps.get(steps.size() - 1));
    }

    /** The first recorded step with this name. */
    public Optional<JournalStep> findStep(String name) {
        return steps.stream().filter(s -> s.name().equals(name)).findFirst();
    }
}
