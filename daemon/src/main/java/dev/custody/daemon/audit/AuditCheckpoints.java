package dev.custody.daemon.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.protocol.BoundedLineReader;
import dev.custody.protocol.LineTooLongException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;

/**
 * Signed checkpoints anchor the audit chain to a key kept on a token, like a transparency log's signed
 * tree head: custodyd signs (sequence number, head hash, time) of the chain every {@code every} records,
 * at start and at shutdown, and writes the signature as an {@value #METHOD} line of the chain. Someone who
 * can write the log file but holds no token cannot rewrite it: a changed line changes every later hash
 * ({@code prev}), so the head a checkpoint signed no longer matches, and a checkpoint cannot be re-signed.
 *
 * <p>Line format: {@code "method":"audit.checkpoint","details":{"checkpoint":{"seq":S,"head":"<hex>",
 * "time":"<ISO-8601>","keyId":"<hex>","sig":"<base64>"},"reason":"…"}}; the signed bytes are
 * {@code custody-audit-checkpoint/v1\nS\nHEAD\nTIME\n} (US-ASCII). {@code head} is the hash of line S,
 * the last line before the checkpoint was made (concurrent lines may come between).
 *
 * <p>{@link #verify} (at start and by {@code audit.verify}) checks, with the audit key's public key, that
 * every checkpoint's signature holds and its head is the chain's hash at its sequence number, that
 * checkpoints are at most {@link #maxGap} lines apart, and that no more lines than that follow the last
 * one, so removing checkpoints is found too.
 */
public final class AuditCheckpoints {
    /** The audit line method of a checkpoint. */
    public static final String METHOD = "audit.checkpoint";
    /** Lines written concurrently or at shutdown that a checkpoint may lag behind by, at least. */
    public static final int SLACK = 16;
    /** How far back (in lines) a checkpoint's sequence number may be from its own line. */
    private static final int WINDOW = 4096;

    private AuditCheckpoints() {}

    /** The audit key: signs on its token, verifies with its public key. */
    public interface Key {
        /** The key's ID, as checkpoints name it. */
        String keyId();

        /** Signs {@code message} on the token. */
        byte[] sign(byte[] message) throws IOException;

        /** Whether {@code signature} over {@code message} was made by this key. */
        boolean verify(byte[] message, byte[] signature);
    }

    /**
     * How many lines may lie between two checkpoints, or after the last: {@code every} plus the lines
     * written while one is signed or after the shutdown checkpoint ({@code max(every, SLACK)}).
     */
    public static int maxGap(int every) {
        return every + Math.max(every, SLACK);
    }

    /** The bytes a checkpoint signs. */
    public static byte[] message(long seq, String head, Instant time) {
        return ("custody-audit-checkpoint/v1\n" + seq + "\n" + head + "\n" + time + "\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** The record of a checkpoint over ({@code seq}, {@code head}, {@code time}). */
    static AuditRecord record(
            long seq, String head, Instant time, String keyId, byte[] sig, String reason, long uid, long gid) {
        ObjectNode d = JsonNodeFactory.instance.objectNode();
        d.putObject("checkpoint")
                .put("seq", seq)
                .put("head", head)
                .put("time", time.toString())
                .put("keyId", keyId)
                .put("sig", Base64.getEncoder().encodeToString(sig));
        d.put("reason", reason);
        return AuditRecord.builder(METHOD)
                .caller(uid, gid, ProcessHandle.current().pid())
                .result("ok")
                .details(d)
                .build();
    }

    /**
     * Checks the checkpoints of {@code file} (its chain should be checked first: {@link AuditLog#verify}).
     *
     * @param every the configured interval in records
     */
    public static AuditVerification verify(Path file, Key key, int every) throws IOException {
        ObjectMapper m = JsonMapper.builder().build();
        String[] ring = new String[WINDOW];
        long n = 0;
        long lastCovered = 0;
        long checkpoints = 0;
        int maxGap = maxGap(every);
        try (InputStream in = Files.newInputStream(file)) {
            BoundedLineReader r = new BoundedLineReader(in, AuditLog.MAX_LINE_BYTES);
            while (true) {
                byte[] line;
                try {
                    line = r.readLine();
                } catch (EOFException | LineTooLongException e) {
                    break; // the chain check names an incomplete or overlong line
                }
                if (line == null) {
                    break;
                }
                long i = ++n;
                String hash = AuditCodec.sha256Hex(line);
                ring[(int) (i % WINDOW)] = hash;
                JsonNode node;
                try {
                    node = m.readTree(new String(line, StandardCharsets.UTF_8));
                } catch (IOException e) {
                    continue; // the chain check names a malformed line
                }
                if (node == null || !METHOD.equals(node.path("method").asText())) {
                    continue;
                }
                JsonNode c = node.path("details").path("checkpoint");
                String head = c.path("head").asText("");
                long seq = c.path("seq").asLong(-1);
                String why = signatureProblem(i, c, seq, head, key);
                if (why != null) {
                    return AuditVerification.broken(i - 1, null, i, AuditVerification.Problem.CHECKPOINT, why);
                }
                if (!head.equals(ring[(int) (seq % WINDOW)])) {
                    return AuditVerification.broken(
                            i - 1,
                            null,
                            seq,
                            AuditVerification.Problem.CHECKPOINT,
                            "line " + seq + " is not the line the checkpoint at line " + i
                                    + " signed (its hash differs):" + " the log up to line " + seq + " was rewritten");
                }
                if (seq - lastCovered > maxGap && checkpoints > 0) {
                    return AuditVerification.broken(
                            i - 1,
                            null,
                            lastCovered + 1,
                            AuditVerification.Problem.CHECKPOINT,
                            "no checkpoint covers lines " + (lastCovered + 1) + ".." + seq
                                    + " (checkpoints are at most " + maxGap
                                    + " lines apart): checkpoints were removed");
                }
                lastCovered = Math.max(lastCovered, seq);
                checkpoints++;
            }
        }
        return endOfLog(n, checkpoints, lastCovered, maxGap);
    }

    /** Why checkpoint line {@code i} (details {@code c}) is not one the audit key signed, or null. */
    private static String signatureProblem(long i, JsonNode c, long seq, String head, Key key) {
        Instant time;
        byte[] sig;
        try {
            time = Instant.parse(c.path("time").asText(""));
            sig = Base64.getDecoder().decode(c.path("sig").asText(""));
        } catch (RuntimeException e) {
            return "line " + i + " is a checkpoint without a readable time or signature";
        }
        if (!key.keyId().equals(c.path("keyId").asText())) {
            return "line " + i + " is a checkpoint signed by key "
                    + c.path("keyId").asText() + ", not by the audit key " + key.keyId();
        }
        if (seq < 1
                || seq >= i
                || i - seq >= WINDOW
                || !AuditCodec.HEX64.matcher(head).matches()) {
            return "line " + i + " is a checkpoint of line " + seq + ", which is not shortly before it";
        }
        if (!key.verify(message(seq, head, time), sig)) {
            return "the signature of the checkpoint at line " + i + " does not verify with the audit key " + key.keyId()
                    + ": it was forged or altered";
        }
        return null;
    }

    /** After the last of {@code n} lines: no checkpoint at all, or too many lines after the last one. */
    private static AuditVerification endOfLog(long n, long checkpoints, long lastCovered, int maxGap) {
        if (checkpoints == 0 && n > maxGap) {
            return AuditVerification.broken(
                    n,
                    null,
                    1,
                    AuditVerification.Problem.CHECKPOINT,
                    "the log has " + n
                            + " lines and no signed checkpoint: its checkpoints were removed, or it was written without them (move"
                            + " such a log aside to start a new, anchored one)");
        }
        if (checkpoints > 0 && n - lastCovered > maxGap) {
            return AuditVerification.broken(
                    n,
                    null,
                    lastCovered + 1,
                    AuditVerification.Problem.CHECKPOINT,
                    "no checkpoint covers lines " + (lastCovered + 1) + ".." + n
                            + ": checkpoints were removed from the end");
        }
        return AuditVerification.ok(n, null);
    }
}
