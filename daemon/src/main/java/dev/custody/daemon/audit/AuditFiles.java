package dev.custody.daemon.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The end of an audit log as found on disk: its last complete line and any half-written line after
 * it ({@link #readTail}, at open), and the head recorded in {@code FILE.head} at the last clean close.
 */
final class AuditFiles {
    private AuditFiles() {}

    /** The file's chain head, where its complete lines end, and the partial line after them (if any). */
    record Tail(AuditHead head, long completeLength, long partialLength, byte[] partial) {}

    static Path headFileOf(Path file) {
        return file.resolveSibling(file.getFileName() + ".head");
    }

    static Tail readTail(FileChannel ch, Path file) throws IOException {
        long size = ch.size();
        if (size == 0) {
            return new Tail(AuditHead.EMPTY, 0, 0, new byte[0]);
        }
        int window = (int) Math.min(size, 2L * AuditLog.MAX_LINE_BYTES + 2);
        long start = size - window;
        ByteBuffer buf = ByteBuffer.allocate(window);
        while (buf.hasRemaining()) {
            if (ch.read(buf, start + buf.position()) < 0) {
                throw new EOFException("audit log " + file + " shrank while being opened");
            }
        }
        byte[] b = buf.array();
        int lastNl = lastIndexOf(b, b.length - 1);
        long completeLength = lastNl < 0 ? start : start + lastNl + 1;
        if (lastNl < 0 && start > 0) {
            throw new AuditLogException("audit log " + file + " ends with more than " + AuditLog.MAX_LINE_BYTES
                    + " bytes without a newline: it was not written by custodyd; check it with `custody audit verify`");
        }
        byte[] partial = Arrays.copyOfRange(b, lastNl + 1, b.length);
        if (completeLength == 0) {
            return new Tail(AuditHead.EMPTY, 0, partial.length, partial);
        }
        int prevNl = lastIndexOf(b, lastNl - 1);
        if (prevNl < 0 && start > 0) {
            throw new AuditLogException(
                    "audit log " + file + " has a last line longer than " + AuditLog.MAX_LINE_BYTES + " bytes");
        }
        byte[] last = Arrays.copyOfRange(b, prevNl + 1, lastNl);
        JsonNode n;
        try {
            n = JsonMapper.builder().build().readTree(new String(last, StandardCharsets.UTF_8));
        } catch (IOException e) {
            n = null; // not JSON, or zero bytes (which Jackson would take for UTF-32)
        }
        if (n == null
                || !n.path("seq").canConvertToExactIntegral()
                || n.get("seq").asLong() < 1) {
            throw new AuditLogException(
                    "the last complete line of audit log " + file
                            + " is not an audit record: the log was edited; run `custody audit verify` and move the damaged log aside");
        }
        return new Tail(
                new AuditHead(n.get("seq").asLong(), AuditCodec.sha256Hex(last)),
                completeLength,
                partial.length,
                partial);
    }

    private static int lastIndexOf(byte[] b, int from) {
        for (int i = from; i >= 0; i--) {
            if (b[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Newlines in the first {@code size} bytes: complete lines left after a truncation (a failure path). */
    static long completeLinesIn(FileChannel channel, long size) {
        long lines = 0;
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        try {
            for (long pos = 0; pos < size; ) {
                buf.clear();
                int r = channel.read(buf, pos);
                if (r <= 0) {
                    break;
                }
                for (int i = 0; i < r && pos + i < size; i++) {
                    if (buf.get(i) == '\n') {
                        lines++;
                    }
                }
                pos += r;
            }
        } catch (IOException e) {
            return -1;
        }
        return lines;
    }

    /** The head recorded at the last clean close, or null when there is none. */
    static AuditHead readRecordedHead(Path headFile) throws IOException {
        if (!Files.exists(headFile)) {
            return null;
        }
        JsonNode n;
        try {
            n = JsonMapper.builder().build().readTree(Files.readAllBytes(headFile));
        } catch (JsonProcessingException e) {
            throw new AuditLogException("recorded audit head " + headFile + " is not valid JSON: it was edited", e);
        }
        if (n == null
                || !n.path("seq").canConvertToExactIntegral()
                || !AuditCodec.HEX64.matcher(n.path("hash").asText("")).matches()) {
            throw new AuditLogException("recorded audit head " + headFile + " is malformed: it was edited");
        }
        return new AuditHead(n.get("seq").asLong(), n.get("hash").asText());
    }
}
