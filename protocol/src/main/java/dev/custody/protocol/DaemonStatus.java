package dev.custody.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Result of {@code status}. The catalog's fields ({@code tokens}, {@code pending},
 * {@code repositories}) and the built-in daemon's ({@code startedAt}, {@code socketActivated},
 * {@code pendingOperations}, {@code methods}) are both read; a daemon that does not send one leaves
 * it null or empty.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DaemonStatus(
        String version,
        long pid,
        String startedAt,
        long uptimeSeconds,
        Boolean socketActivated,
        List<TokenStatus> tokens,
        Integer pending,
        List<RepositoryState> repositories,
        List<Operation> pendingOperations,
        List<String> methods) {

    public DaemonStatus {
        tokens = tokens == null ? List.of() : List.copyOf(tokens);
        repositories = repositories == null ? List.of() : List.copyOf(repositories);
        pendingOperations = pendingOperations == null ? List.of() : List.copyOf(pendingOperations);
        methods = methods == null ? List.of() : List.copyOf(methods);
    }

    /** Staged changes and an unfinished journaled operation, per repository. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record RepositoryState(String gun, int staged, String journal) {}

    /** An unfinished journaled operation. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Operation(String id, String type, String gun, String startedAt, String lastStep, int steps) {}
}
