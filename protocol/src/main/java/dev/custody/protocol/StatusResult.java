package dev.custody.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Result of {@code status}.
 *
 * @param version custodyd's version
 * @param pid the daemon's process id
 * @param startedAt start time, ISO-8601 UTC
 * @param uptimeSeconds seconds since start
 * @param socketActivated whether the listening socket came from systemd
 * @param pendingOperations journaled operations that did not finish (resumed or rolled back at
 *     start-up, or waiting for an operator)
 * @param methods the method names this daemon serves, sorted
 *
 * <p>Extensions add their own fields to the same reply ({@code tokens}, {@code pending},
 * {@code repositories}; see {@code DaemonExtension.contributeStatus}); this record is the built-in
 * part and ignores them ({@code dev.custody.protocol.DaemonStatus} reads them all).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@com.fasterxml.jackson.annotation.JsonIgnoreProperties(ignoreUnknown = true)
public record StatusResult(
        String version,
        long pid,
        String startedAt,
        long uptimeSeconds,
        boolean socketActivated,
        List<PendingOperationInfo> pendingOperations,
        List<String> methods) {

    public StatusResult {
        pendingOperations = pendingOperations == null ? List.of() : List.copyOf(pendingOperations);
        methods = methods == null ? List.of() : List.copyOf(methods);
    }

    /**
     * One unfinished journaled operation.
     *
     * @param id the journal id
     * @param type the operation type, e.g. {@code publish}
     * @param gun the repository
     * @param startedAt ISO-8601 UTC
     * @param lastStep the name of the last recorded step, or null if none
     * @param steps how many steps were recorded
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PendingOperationInfo(
            String id, String type, String gun, String startedAt, String lastStep, int steps) {}
}
