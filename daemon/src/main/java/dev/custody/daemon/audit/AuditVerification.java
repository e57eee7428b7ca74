package dev.custody.daemon.audit;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * The outcome of checking an audit log's hash chain.
 *
 * @param linesChecked complete lines read
 * @param head the chain's end as found in the file
 * @param brokenLine the first line that fails, or -1 if the chain is intact
 * @param problem what is wrong with it, in words; null if intact
 */
public record AuditVerification(long linesChecked, AuditHead head, long brokenLine, Problem problem, String reason) {

    /** Kinds of damage {@code verify} tells apart. */
    public enum Problem {
        /** The line's bytes changed after it was written (its hash no longer matches its successor). */
        EDITED,
        /** The line is not a well-formed audit record. */
        MALFORMED,
        /** Lines are missing before this one. */
        REMOVED,
        /** Lines appear out of order or twice. */
        REORDERED,
        /** The last line is incomplete, or lines at the end are missing compared to a known head. */
        TRUNCATED,
        /** The line's bytes were overwritten with zeros (NUL bytes). */
        ZEROED,
        /** A signed checkpoint does not verify, does not match the chain, or checkpoints are missing. */
        CHECKPOINT
    }

    public boolean intact() {
        return problem == null;
    }

    public OptionalLong firstBrokenLine() {
        return brokenLine < 0 ? OptionalLong.empty() : OptionalLong.of(brokenLine);
    }

    public Optional<Problem> findProblem() {
        return Optional.ofNullable(problem);
    }

    static AuditVerification ok(long lines, AuditHead head) {
        return new AuditVerification(lines, head, -1, null, null);
    }

    static AuditVerification broken(long lines, AuditHead head, long line, Problem problem, String reason) {
        return new AuditVerification(lines, head, line, problem, reason);
    }

    @Override
    public String toString() {
        return intact()
                ? "audit log intact: " + linesChecked + " lines, head " + head.hash()
                : "audit log broken at line " + brokenLine + " (" + problem + "): " + reason;
    }
}
