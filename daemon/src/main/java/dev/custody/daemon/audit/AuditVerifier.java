package dev.custody.daemon.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.custody.protocol.BoundedLineReader;
import dev.custody.protocol.LineTooLongException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks a whole audit log file's hash chain offline, line by line: each line must be an audit
 * record, carry its line number as {@code seq}, and name the previous line's hash as {@code prev};
 * optionally the file must contain an expected head. Says where and how the chain breaks.
 */
final class AuditVerifier {
    private final ObjectMapper mapper = JsonMapper.builder().build();
    /** The head the file must contain, or null. */
    private final AuditHead expected;
    /** Lines read so far. */
    private long n;
    /** Hash of the last line that chained. */
    private String prevHash = AuditLog.GENESIS;
    /** Hash of line {@code expected.seq()} once read. */
    private String hashAtExpected;
    // the first line whose seq skipped ahead: removed lines, or reordered ones (if its number comes later)
    private long anomalyLine = -1;
    private long anomalySeq = -1;
    private boolean anomalyReappears;

    private AuditVerifier(AuditHead expected) {
        this.expected = expected;
        this.hashAtExpected = expected != null && expected.seq() == 0 ? AuditLog.GENESIS : null;
    }

    /** See {@link AuditLog#verify(Path, AuditHead)}. */
    static AuditVerification verify(Path file, AuditHead expected) throws IOException {
        AuditVerifier v = new AuditVerifier(expected);
        try (InputStream in = Files.newInputStream(file)) {
            BoundedLineReader r = new BoundedLineReader(in, AuditLog.MAX_LINE_BYTES);
            while (true) {
                byte[] line;
                try {
                    line = r.readLine();
                } catch (EOFException e) {
                    return v.brokenAt(
                            v.n + 1,
                            AuditVerification.Problem.TRUNCATED,
                            "line " + (v.n + 1)
                                    + " is incomplete (no newline): the log was cut off or a write was interrupted;"
                                    + " custodyd repairs this at its next start");
                } catch (LineTooLongException e) {
                    return v.brokenAt(
                            v.n + 1,
                            AuditVerification.Problem.MALFORMED,
                            "line " + (v.n + 1) + " is longer than " + AuditLog.MAX_LINE_BYTES
                                    + " bytes: not written by custodyd");
                }
                if (line == null) {
                    break;
                }
                AuditVerification done = v.check(line);
                if (done != null) {
                    return done;
                }
            }
        }
        return v.finish();
    }

    /** Takes the next line; returns the verdict when the scan ends here, else null. */
    private AuditVerification check(byte[] line) {
        long i = n + 1;
        if (AuditCodec.zeroFilled(line)) {
            if (anomalyLine > 0) {
                return finish(); // report the earlier sequence anomaly
            }
            return brokenAt(
                    i,
                    AuditVerification.Problem.ZEROED,
                    "line " + i + " was overwritten with zero bytes (" + line.length + " bytes)");
        }
        JsonNode node = parse(line);
        if (node == null
                || !node.isObject()
                || !node.path("seq").canConvertToExactIntegral()
                || !AuditCodec.HEX64.matcher(node.path("prev").asText("")).matches()
                || !node.path("time").isTextual()) {
            if (anomalyLine > 0) {
                return finish(); // report the earlier sequence anomaly
            }
            return brokenAt(
                    i,
                    AuditVerification.Problem.MALFORMED,
                    "line " + i + " is not an audit record (not JSON, or seq/prev/time missing): it was edited");
        }
        long seq = node.get("seq").asLong();
        if (anomalyLine > 0) {
            if (seq == anomalyLine) {
                anomalyReappears = true;
            }
            n = i;
            return null;
        }
        if (seq != i) {
            if (seq < i) {
                return brokenAt(
                        i,
                        AuditVerification.Problem.REORDERED,
                        "line " + i + " carries sequence number " + seq + ": lines were reordered or duplicated");
            }
            anomalyLine = i;
            anomalySeq = seq;
            n = i;
            return null; // scan on: does the missing number come later (reordered) or never (removed)?
        }
        if (!node.get("prev").asText().equals(prevHash)) {
            return editedBefore(i);
        }
        prevHash = AuditCodec.sha256Hex(line);
        n = i;
        if (expected != null && seq == expected.seq()) {
            hashAtExpected = prevHash;
        }
        return null;
    }

    private JsonNode parse(byte[] line) {
        try {
            return mapper.readTree(new String(line, StandardCharsets.UTF_8)); // UTF-8 only
        } catch (IOException e) {
            return null;
        }
    }

    /** Line {@code i}'s prev is not the hash of the line before it. */
    private AuditVerification editedBefore(long i) {
        if (i == 1) {
            return brokenAt(
                    1, AuditVerification.Problem.EDITED, "line 1 does not chain to the genesis value: it was edited");
        }
        return brokenAt(
                i - 1,
                AuditVerification.Problem.EDITED,
                "line " + (i - 1)
                        + " was changed after it was written: its hash no longer matches the prev hash"
                        + " recorded in line " + i);
    }

    /** The verdict after the last line read: a sequence anomaly, lines cut off the end, or intact. */
    private AuditVerification finish() {
        if (anomalyLine > 0) {
            long head = anomalyLine - 1;
            return anomalyReappears
                    ? AuditVerification.broken(
                            head,
                            new AuditHead(head, prevHash),
                            anomalyLine,
                            AuditVerification.Problem.REORDERED,
                            "line " + anomalyLine + " carries sequence number " + anomalySeq + " and sequence number "
                                    + anomalyLine + " comes later: lines were reordered")
                    : AuditVerification.broken(
                            head,
                            new AuditHead(head, prevHash),
                            anomalyLine,
                            AuditVerification.Problem.REMOVED,
                            "line " + anomalyLine + " carries sequence number " + anomalySeq + ": "
                                    + (anomalySeq - anomalyLine) + " line(s) before it were removed");
        }
        AuditHead found = new AuditHead(n, prevHash);
        if (expected != null) {
            if (n < expected.seq()) {
                return AuditVerification.broken(
                        n,
                        found,
                        n + 1,
                        AuditVerification.Problem.TRUNCATED,
                        "the log ends at line " + n + " but line " + expected.seq() + " was written: lines " + (n + 1)
                                + ".." + expected.seq() + " were removed from the end");
            }
            if (!expected.hash().equals(hashAtExpected)) {
                return AuditVerification.broken(
                        n,
                        found,
                        expected.seq(),
                        AuditVerification.Problem.EDITED,
                        "line " + expected.seq()
                                + " was changed after it was written: its hash differs from the recorded head");
            }
        }
        return AuditVerification.ok(n, found);
    }

    private AuditVerification brokenAt(long line, AuditVerification.Problem problem, String reason) {
        return AuditVerification.broken(n, new AuditHead(n, prevHash), line, problem, reason);
    }
}
