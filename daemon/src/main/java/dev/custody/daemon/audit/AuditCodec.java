package dev.custody.daemon.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * One audit line's bytes: {@link #encode} an {@link AuditRecord} with its chain fields, {@link #decode}
 * a line back into an {@link AuditEntry}, and the SHA-256 that chains them.
 */
final class AuditCodec {
    /** A chain hash: 64 lowercase hex digits. */
    static final Pattern HEX64 = Pattern.compile("^[0-9a-f]{64}$");

    private final ObjectMapper mapper = JsonMapper.builder().build();

    ObjectMapper mapper() {
        return mapper;
    }

    /** The line (without its newline); over {@link AuditLog#MAX_LINE_BYTES} the details are replaced by their hash. */
    byte[] encode(long seq, Instant time, String prev, AuditRecord r) throws IOException {
        ObjectNode n = mapper.createObjectNode();
        n.put("seq", seq).put("time", time.toString()).put("prev", prev);
        putIf(n, "uid", r.uid());
        putIf(n, "gid", r.gid());
        putIf(n, "pid", r.pid());
        n.put("method", r.method());
        putIf(n, "gun", r.gun());
        putIf(n, "role", r.role());
        putIf(n, "keyId", r.keyId());
        putIf(n, "version", r.version());
        putIf(n, "metadataHash", r.metadataHash());
        n.put("result", r.result());
        putIf(n, "rule", r.rule());
        putIf(n, "message", r.message());
        if (r.details() != null && !r.details().isNull()) {
            n.set("details", r.details());
        }
        byte[] b = mapper.writeValueAsBytes(n);
        if (b.length > AuditLog.MAX_LINE_BYTES) {
            byte[] details = mapper.writeValueAsBytes(r.details());
            n.set(
                    "details",
                    mapper.createObjectNode()
                            .put("omitted", "too large")
                            .put("bytes", details.length)
                            .put("sha256", sha256Hex(details)));
            if (r.message() != null && r.message().length() > 4096) {
                n.put("message", r.message().substring(0, 4096) + "…");
            }
            b = mapper.writeValueAsBytes(n);
        }
        return b;
    }

    AuditEntry decode(byte[] line) throws IOException {
        JsonNode n = mapper.readTree(new String(line, StandardCharsets.UTF_8));
        if (n == null || !n.isObject()) {
            throw new IOException("not a JSON object");
        }
        AuditRecord r = new AuditRecord(
                n.path("method").asText(),
                longOrNull(n, "uid"),
                longOrNull(n, "gid"),
                longOrNull(n, "pid"),
                textOrNull(n, "gun"),
                textOrNull(n, "role"),
                textOrNull(n, "keyId"),
                longOrNull(n, "version"),
                textOrNull(n, "metadataHash"),
                n.path("result").asText(),
                textOrNull(n, "rule"),
                textOrNull(n, "message"),
                n.get("details"));
        Instant t;
        try {
            t = Instant.parse(n.path("time").asText());
        } catch (DateTimeParseException e) {
            t = Instant.EPOCH;
        }
        return new AuditEntry(n.path("seq").asLong(), t, n.path("prev").asText(), sha256Hex(line), r);
    }

    private static void putIf(ObjectNode n, String f, String v) {
        if (v != null) {
            n.put(f, v);
        }
    }

    private static void putIf(ObjectNode n, String f, Long v) {
        if (v != null) {
            n.put(f, v);
        }
    }

    private static Long longOrNull(JsonNode n, String f) {
        return n.hasNonNull(f) ? n.get(f).asLong() : null;
    }

    private static String textOrNull(JsonNode n, String f) {
        return n.hasNonNull(f) ? n.get(f).asText() : null;
    }

    static String sha256Hex(byte[] b) {
        return HexFormat.of().formatHex(newSha256().digest(b));
    }

    static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java platform", e);
        }
    }

    /** A line with a zero byte: overwritten with zeros (custodyd never writes one). */
    static boolean zeroFilled(byte[] line) {
        for (byte b : line) {
            if (b == 0) {
                return true;
            }
        }
        return false;
    }
}
