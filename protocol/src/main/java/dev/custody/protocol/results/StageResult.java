package dev.custody.protocol.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Result of the staging methods ({@code repo.add}, {@code repo.addBatch}, {@code repo.remove},
 * {@code repo.witness}, {@code delegation.add}, {@code delegation.remove}): the changes now staged for
 * {@code gun}; with {@code publish: true} what was published; for the delegation methods the role, and
 * for {@code delegation.add} the IDs of the keys added.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StageResult(String gun, int staged, Published published, String role, List<String> keyIds) {

    public StageResult(String gun, int staged) {
        this(gun, staged, null, null, null);
    }

    /** This result after the publish that followed: {@code staged} changes are left. */
    public StageResult published(int stillStaged, Published p) {
        return new StageResult(gun, stillStaged, p, role, keyIds);
    }

    /** This result for the delegation {@code role} (and the keys {@code delegation.add} added, or null). */
    public StageResult forDelegation(String delegation, List<String> ids) {
        return new StageResult(gun, staged, published, delegation, ids == null ? null : List.copyOf(ids));
    }
}
