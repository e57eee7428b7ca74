package dev.custody.daemon.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.audit.AuditLog;
import dev.custody.daemon.audit.AuditLogException;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.ErrorCode;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit chain is anchored (issue #11, property 9): with {@code audit.checkpoint} custodyd signs
 * (sequence, head hash, time) with an audit key on the SoftHSM2 token every N records, at start and at
 * shutdown. An offline rewrite of the whole chain (a line changed, every later {@code prev} recomputed,
 * the recorded head too) passes the hash chain but not the checkpoints, and custodyd refuses to start;
 * so does a rewrite that re-points the checkpoints (their signatures fail) or drops them. A log
 * zero-filled or truncated under the running daemon is named by line, and no hole is written.
 */
@Requires(Capability.LINUX)
class AuditCheckpointTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration LIMIT = Duration.ofMinutes(2);

    @TempDir
    Path dir;

    private static String checkpointConfig(String keyId) {
        return "audit:\n  checkpoint:\n    key: " + keyId + "\n    every: 5\n";
    }

    /** Starts once to make the audit key, then again with checkpoints every 5 records; {@code calls} lines. */
    private String anchoredLog(KeysHarness h, int calls) throws Exception {
        h.start("file:" + h.pinFile(KeysHarness.PIN), "");
        String keyId = h.client
                .call("key.generate", params("role", "audit", "token", "main"))
                .get("keyId")
                .asText();
        restart(h, checkpointConfig(keyId));
        for (int i = 0; i < calls; i++) {
            h.client.call("key.list", params());
        }
        return keyId;
    }

    /** A daemon without checkpoints (truncation and zero bytes are found by the chain): {@code calls} lines. */
    private static void plainLog(KeysHarness h, int calls) throws Exception {
        h.start("file:" + h.pinFile(KeysHarness.PIN), "");
        for (int i = 0; i < calls; i++) {
            h.client.call("key.list", params());
        }
    }

    private static void restart(KeysHarness h, String extra) throws Exception {
        stop(h);
        h.start("file:" + h.dir.resolve("pin"), extra);
    }

    private static void stop(KeysHarness h) throws Exception {
        h.client.close();
        h.daemon.stop();
    }

    @Test
    void offlineRewriteOfTheWholeChain_passesTheChainButNotTheCheckpoints_custodydRefusesToStart() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (KeysHarness h = new KeysHarness(dir)) {
                String keyId = anchoredLog(h, 30);
                JsonNode ok = h.client.call("audit.verify", params());
                assertThat(ok.get("ok").asBoolean()).as(ok.toString()).isTrue();
                stop(h);
                List<ObjectNode> lines = read(h.auditLog());
                List<ObjectNode> checkpoints = lines.stream()
                        .filter(l -> "audit.checkpoint".equals(l.path("method").asText()))
                        .toList();
                assertThat(checkpoints.size())
                        .as("start, every 5 records, shutdown")
                        .isGreaterThanOrEqualTo(7);
                assertThat(checkpoints)
                        .allSatisfy(c -> assertThat(
                                        c.at("/details/checkpoint/keyId").asText())
                                .isEqualTo(keyId));
                byte[] original = Files.readAllBytes(h.auditLog());

                // 1. a line changed, every later prev recomputed, the recorded head too: the chain is fooled ...
                List<ObjectNode> edited = copy(lines);
                int target = 3; // a line the first checkpoints cover
                edited.get(target - 1).put("result", "REWRITTEN");
                writeChain(h.auditLog(), edited, false);
                assertThat(AuditLog.verify(h.auditLog()).intact())
                        .as("the hash chain alone cannot tell")
                        .isTrue();
                // ... the checkpoints are not: custodyd refuses to start, naming where
                assertThatThrownBy(() -> h.start("file:" + h.dir.resolve("pin"), checkpointConfig(keyId)))
                        .isInstanceOf(AuditLogException.class)
                        .hasMessageContaining("CHECKPOINT")
                        .hasMessageContaining("was rewritten");

                // 2. ... also when the rewrite re-points each checkpoint at the new hashes: the signatures fail
                writeChain(h.auditLog(), edited, true);
                assertThat(AuditLog.verify(h.auditLog()).intact()).isTrue();
                assertThatThrownBy(() -> h.start("file:" + h.dir.resolve("pin"), checkpointConfig(keyId)))
                        .isInstanceOf(AuditLogException.class)
                        .hasMessageContaining("does not verify with the audit key");

                // 3. ... and when the checkpoints are dropped and the lines renumbered
                List<ObjectNode> dropped = copy(edited).stream()
                        .filter(l -> !"audit.checkpoint".equals(l.path("method").asText()))
                        .toList();
                writeChain(h.auditLog(), new ArrayList<>(dropped), false);
                assertThat(AuditLog.verify(h.auditLog()).intact()).isTrue();
                assertThatThrownBy(() -> h.start("file:" + h.dir.resolve("pin"), checkpointConfig(keyId)))
                        .isInstanceOf(AuditLogException.class)
                        .hasMessageContaining("no signed checkpoint");

                // the untouched log starts, and its checkpoints verify
                Files.write(h.auditLog(), original);
                writeHead(h.auditLog(), lines.size(), sha256(original, lines.size()));
                h.start("file:" + h.dir.resolve("pin"), checkpointConfig(keyId));
                assertThat(h.client.call("audit.verify", params()).get("ok").asBoolean())
                        .isTrue();
            }
        });
    }

    @Test
    void zeroFilledUnderTheRunningDaemon_auditVerifyNamesTheLine() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (KeysHarness h = new KeysHarness(dir)) {
                plainLog(h, 8);
                byte[] b = Files.readAllBytes(h.auditLog());
                long[] starts = lineStarts(b);
                try (RandomAccessFile f = new RandomAccessFile(h.auditLog().toFile(), "rw")) {
                    f.seek(starts[3]); // lines 4 and 5, newlines included
                    f.write(new byte[(int) (starts[5] - starts[3])]);
                }
                JsonNode v = h.client.call("audit.verify", params());
                assertThat(v.get("ok").asBoolean()).isFalse();
                assertThat(v.get("firstBadLine").asLong()).isEqualTo(4);
                assertThat(v.get("reason").asText()).contains("line 4 was overwritten with zero bytes");
            }
        });
    }

    @Test
    void truncatedUnderTheRunningDaemon_refusedNamingTheLines_noHoleWritten() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (KeysHarness h = new KeysHarness(dir)) {
                plainLog(h, 8);
                long lines = read(h.auditLog()).size();
                byte[] b = Files.readAllBytes(h.auditLog());
                long cut = lineStarts(b)[5]; // keep lines 1..5
                try (RandomAccessFile f = new RandomAccessFile(h.auditLog().toFile(), "rw")) {
                    f.setLength(cut);
                }
                assertThatThrownBy(() -> h.client.call("key.list", params()))
                        .isInstanceOfSatisfying(
                                CustodyException.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL));
                assertThatThrownBy(() -> h.client.call("key.list", params()))
                        .isInstanceOfSatisfying(
                                CustodyException.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL))
                        .hasMessageContaining("custodyd refuses to answer without an audit record");
                // the daemon's log (journald) says what happened, by line
                assertThat(String.join("\n", h.log.lines()))
                        .contains("was changed under custodyd: it was cut to " + cut
                                + " bytes: the log now ends after line 5, lines 6.." + lines + " are gone");
                byte[] after = Files.readAllBytes(h.auditLog());
                assertThat(after)
                        .as("nothing written at the remembered offset: no hole")
                        .hasSize((int) cut);
            }
        });
    }

    // ---- helpers: an offline attacker's tools ----

    private static ObjectNode params(Object... kv) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        for (int i = 0; i < kv.length; i += 2) {
            o.put((String) kv[i], (String) kv[i + 1]);
        }
        return o;
    }

    private static List<ObjectNode> read(Path log) throws Exception {
        List<ObjectNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            out.add((ObjectNode) JSON.readTree(l));
        }
        return out;
    }

    private static List<ObjectNode> copy(List<ObjectNode> lines) {
        return new ArrayList<>(lines.stream().map(ObjectNode::deepCopy).toList());
    }

    /**
     * Writes {@code lines} as a valid chain: seq renumbered, each prev the hash of the line before, and
     * the recorded head file to match. With {@code repointCheckpoints}, each checkpoint's head is set to
     * the new hash of the line it covers (its signature cannot follow).
     */
    private static void writeChain(Path log, List<ObjectNode> lines, boolean repointCheckpoints) throws Exception {
        StringBuilder sb = new StringBuilder();
        String prev = AuditLog.GENESIS;
        List<String> hashes = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            ObjectNode l = lines.get(i);
            l.put("seq", i + 1).put("prev", prev);
            if (repointCheckpoints && "audit.checkpoint".equals(l.path("method").asText())) {
                ObjectNode c = (ObjectNode) l.at("/details/checkpoint");
                c.put("head", hashes.get(c.get("seq").asInt() - 1));
            }
            String text = JSON.writeValueAsString(l);
            prev = HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
            hashes.add(prev);
            sb.append(text).append('\n');
        }
        Files.writeString(log, sb.toString());
        writeHead(log, lines.size(), prev);
    }

    private static void writeHead(Path log, long seq, String hash) throws Exception {
        Files.writeString(
                log.resolveSibling(log.getFileName() + ".head"),
                JSON.writeValueAsString(JSON.createObjectNode().put("seq", seq).put("hash", hash)));
    }

    /** Hash of line {@code n} (1-based) of {@code b}. */
    private static String sha256(byte[] b, int n) throws Exception {
        long[] s = lineStarts(b);
        int from = (int) s[n - 1];
        int to = (int) s[n] - 1;
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        d.update(b, from, to - from);
        return HexFormat.of().formatHex(d.digest());
    }

    /** Byte offsets where lines 1, 2, … start; the last entry is the file's length. */
    private static long[] lineStarts(byte[] b) {
        List<Long> starts = new ArrayList<>(List.of(0L));
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '\n') {
                starts.add((long) i + 1);
            }
        }
        return starts.stream().mapToLong(Long::longValue).toArray();
    }
}
